/**
 * Reading a response body with a bound: WeChat's answers are small, so anything past
 * `maxResponseBytes` (counted after decompression) is a hostile or broken upstream. The
 * read stops there, which closes the connection, instead of buffering the whole body.
 * @internal
 */
import type { HttpClientResponse, ResponseError } from "#compat"
import { Effect, Stream } from "effect"

const utf8 = new TextDecoder("utf-8")

const identity = (encoding: string | undefined) => encoding === undefined || encoding === "" || encoding.toLowerCase() === "identity"

/**
 * Lets go of a body the library will not read (a refused status, an announced size past
 * the bound): taking its first chunk and ending the stream aborts the request, so a
 * hostile upstream cannot hold one connection per call with its body queued in it.
 */
export const discard = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  Effect.ignore(Stream.runHead(response.stream))

/**
 * The body as text, or `tooLarge` once more than `max` bytes arrived (or were announced
 * by an uncompressed `content-length`).
 */
export const readText = <E>(
  response: HttpClientResponse.HttpClientResponse,
  max: number,
  tooLarge: () => E
): Effect.Effect<string, ResponseError | E> => {
  const announced = Number(response.headers["content-length"])
  const plain = identity(response.headers["content-encoding"])
  if (plain && Number.isFinite(announced)) {
    // the client holds the body to its announced length: read it in one go
    return announced > max ? Effect.andThen(discard(response), Effect.fail(tooLarge())) : response.text
  }
  return Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    return response.stream.pipe(
      Stream.runForEach((chunk) => {
        size += chunk.length
        if (size > max) return Effect.fail(tooLarge())
        chunks.push(chunk)
        return Effect.void
      }),
      Effect.map(() => {
        if (chunks.length === 1) return utf8.decode(chunks[0])
        const all = new Uint8Array(size)
        let offset = 0
        for (const chunk of chunks) {
          all.set(chunk, offset)
          offset += chunk.length
        }
        return utf8.decode(all)
      })
    )
  })
}
