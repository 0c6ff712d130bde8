const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Directory, application and object IDs are GUIDs. */
export function isGuid(value: string): boolean {
  return GUID.test(value)
}

/** A value shown in a message: control characters escaped, long values cut. */
export function printable(value: string): string {
  const shown = JSON.stringify(value).slice(1, -1)
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown
}
