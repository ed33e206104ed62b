/**
 * Refuses options renamed in 2.0.0 with a TypeError naming the new name: an old name would
 * otherwise be ignored silently and its default used instead.
 */
export function rejectRenamedOptions(
  where: string,
  options: object | undefined,
  renames: Readonly<Record<string, string>>,
): void {
  if (options === undefined || options === null) return;
  for (const [old, current] of Object.entries(renames)) {
    if (Object.hasOwn(options, old)) {
      throw new TypeError(`${where}: "${old}" was renamed "${current}" in 2.0.0; set that instead`);
    }
  }
}
