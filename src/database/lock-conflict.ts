/** Deadlock (1213) or lock wait timeout (1205) on MySQL: the server rolled the statement back; try again. */
export const isLockConflict = (error: unknown): boolean => {
  const errno = (error as { errno?: number } | undefined)?.errno;
  return errno === 1213 || errno === 1205;
};

/** Attempts of one write on deadlock or lock wait timeout. */
const MAX_LOCK_ATTEMPTS = 4;

/**
 * Runs `write` again on MySQL deadlock (1213) or lock wait timeout (1205), 4 times at most (the
 * server rolled the failed attempt back). Any other error is thrown at once.
 * @throws the last attempt's error
 */
export async function retryOnLockConflict<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= MAX_LOCK_ATTEMPTS || !isLockConflict(error)) throw error;
    }
  }
}
