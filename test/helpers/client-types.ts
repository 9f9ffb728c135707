import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

/** What `openapi-typescript <document>` writes for this document: the client's src/client/schema.ts. */
export async function clientTypes(document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0]);
  return COMMENT_HEADER + astToString(ast);
}
