/** What a recording tracer keeps of a span (both editions' test kernels fill it). */
export interface RecordedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ name: string; attributes: Record<string, unknown> | undefined }>
  exit: unknown
}
