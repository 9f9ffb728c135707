import { Type } from 'typebox';
import { Id } from '../../contract/common.ts';

export const ProductParams = Type.Object({ id: Id });
