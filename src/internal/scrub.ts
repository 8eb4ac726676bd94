/**
 * Removing secrets from text that came back from the network (an echoed `errmsg`, a
 * transport error quoting the URL). A secret is found however it was encoded: raw, or with
 * any of its characters percent-encoded (upper- or lowercase hex, once or twice, as
 * `encodeURIComponent`, `URLSearchParams` or a proxy would write it), spaces as `+`.
 * @internal
 */

/** Values shorter than this are left alone: no WeChat credential is that short. */
export const MIN_SECRET_LENGTH = 6

const REPLACEMENT = "<redacted>"

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

const charPattern = (char: string): string => {
  const bytes = [...Buffer.from(char, "utf8")]
  const hex = (b: number) => b.toString(16).padStart(2, "0")
  // %XX or %25XX per byte, any hex case (the regex is case-insensitive only for these)
  const percent = bytes.map((b) => `%(?:25)?${[...hex(b)].map((h) => (/[a-f]/.test(h) ? `[${h}${h.toUpperCase()}]` : h)).join("")}`).join("")
  const forms = [escapeRegExp(char), percent]
  if (char === " ") forms.push("\\+")
  return `(?:${forms.join("|")})`
}

const patternOf = (secret: string): RegExp => new RegExp([...secret].map(charPattern).join(""), "g")

/**
 * Replaces every occurrence of each secret (in any encoding) with `<redacted>`, or with
 * what `replacement` gives for it.
 */
export const scrub = (
  text: string,
  secrets: ReadonlyArray<string>,
  replacement: (secret: string) => string = () => REPLACEMENT
): string => {
  let out = text
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue
    if (!out.includes(secret) && !out.includes("%") && !(secret.includes(" ") && out.includes("+"))) continue
    out = out.replace(patternOf(secret), () => replacement(secret))
  }
  return out
}
