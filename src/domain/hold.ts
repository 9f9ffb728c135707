import type { HoldLine } from './cart.ts';
import { DomainError, ErrorCode } from './errors.ts';

import type { HoldStatus } from './statuses.ts';

export type { HoldEndedBy, HoldStatus } from './statuses.ts';

export interface Hold {
  id: string;
  /** One line per product, in the order the client sent them. */
  lines: HoldLine[];
  /** Who the hold is for, or null. */
  customerId: string | null;
  status: HoldStatus;
  expiresAt: Date;
  createdAt: Date;
  /** When it stopped being active; null while it is. */
  endedAt: Date | null;
}

/** The error a client gets when it tries to use a hold that is no longer active. */
export function holdNotActiveError(hold: { id: string; status: Exclude<HoldStatus, 'active'> }): DomainError {
  const details = { hold_id: hold.id, hold_status: hold.status };
  switch (hold.status) {
    case 'expired':
      return new DomainError(ErrorCode.HoldExpired, `Hold ${hold.id} has expired.`, details);
    case 'released':
      return new DomainError(ErrorCode.HoldReleased, `Hold ${hold.id} was released.`, details);
    case 'confirmed':
      return new DomainError(ErrorCode.HoldConfirmed, `Hold ${hold.id} was already turned into an order.`, details);
  }
}
