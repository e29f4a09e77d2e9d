/** The record without its undefined entries. */
export function compact<T>(record: Record<string, T | undefined> | undefined): Record<string, T> {
  if (!record) return {};
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Record<
    string,
    T
  >;
}
