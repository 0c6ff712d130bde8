/**
 * The runner replaces every occurrence of a registered mask in the rest of the job's log: a secret
 * of a few characters ('a', 'true', '1234') would blank out ordinary words everywhere, and a short
 * value is a mistake in any case. Every secret the action registers and does not type itself is
 * at least this long when real: JWTs (ID tokens, federated tokens, access tokens) are hundreds of
 * characters, IDENTITY_HEADER and Azure Arc's challenge are random strings of 32 characters or
 * more, Entra client secrets are 40. Sixteen keeps a wide margin below all of them, while a string
 * of sixteen characters hardly ever occurs in a log by chance.
 */
export const MIN_SECRET_LENGTH = 16

/** Why `value` is too short to be the secret it claims to be, or undefined when it is long enough. */
export function tooShortToBeSecret(value: string): string | undefined {
  return value.length < MIN_SECRET_LENGTH
    ? `${value.length} character${value.length === 1 ? '' : 's'} long, too short to be real (at least ${MIN_SECRET_LENGTH})`
    : undefined
}
