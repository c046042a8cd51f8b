/**
 * Deadlock (1213) or lock wait timeout (1205) on MySQL (the server rolled the statement back), or
 * SQLITE_BUSY (another connection to the file holds its write lock past the busy timeout): try again.
 */
export const isLockConflict = (error: unknown): boolean => {
  const { errno, code } = (error as { errno?: number; code?: string; driverError?: { code?: string } } | undefined) ?? {};
  const sqlite = code ?? (error as { driverError?: { code?: string } } | undefined)?.driverError?.code;
  return errno === 1213 || errno === 1205 || sqlite === 'SQLITE_BUSY';
};

/** Attempts of one write on deadlock or lock wait timeout. */
const MAX_LOCK_ATTEMPTS = 4;

/**
 * Runs `write` again on a lock conflict ({@link isLockConflict}), 4 times at most, a few ms apart
 * (the failed attempt was rolled back). Any other error is thrown at once.
 * @throws the last attempt's error
 */
export async function retryOnLockConflict<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= MAX_LOCK_ATTEMPTS || !isLockConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt)); // let the other transaction end
    }
  }
}
