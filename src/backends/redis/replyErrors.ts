/** An error reply from the server (NOPERM, WRONGTYPE, ...) as opposed to a connection failure. */
export const isReplyError = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ReplyError';

/** A command refused by the server's ACL: permanent until an administrator changes the user. */
export const isPermissionError = (error: unknown): boolean =>
  isReplyError(error) && /^NOPERM\b/.test((error as Error).message);
