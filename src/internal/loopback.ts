/**
 * What counts as this machine: plain `http`, a test server and the fake's control API are
 * allowed to loopback hosts only.
 * @internal
 */

/** A host name as `URL.hostname` gives it, or a bound address: `localhost`, 127.0.0.0/8, `::1` (bracketed or not). */
export const isLoopbackHost = (host: string): boolean => {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, "$1")
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}
