/**
 * The `TokenStore` on files: one file per key (named by a hash of the key) holding the
 * entry and its expiry, in a folder only the owner can read (0700, files 0600). Writes go
 * to a temporary file first and are renamed into place, so a full disk or a crash never
 * leaves a half-written entry; expired files are removed when read and by a sweep when
 * the store opens and as the clock moves on.
 * @internal
 */
import * as Compat from "#compat"
import { FileSystem, Path, type PlatformError } from "#compat"
import { Clock, Duration, Effect, Option, Schema } from "effect"
import { createHash, randomBytes } from "node:crypto"
import type { Service } from "../TokenStore.js"
import { TokenStoreError } from "../TokenStore.js"

const Entry = Compat.parseJson(Schema.Struct({ v: Schema.String, e: Schema.Number }))
const decodeEntry = Schema.decodeUnknownOption(Entry)
const encodeEntry = Schema.encodeSync(Entry)
const SUFFIX = ".entry"
const SWEEP_EVERY_MS = 60_000

export const make = (
  directory: string,
  locks: Pick<Service, "acquireLock" | "releaseLock" | "extendLock">
): Effect.Effect<Service, TokenStoreError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fail = (operation: string) => (e: PlatformError) => new TokenStoreError({ operation, detail: `${directory}: ${e.message}` })
    yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 }).pipe(
      Effect.andThen(fs.chmod(directory, 0o700)),
      Effect.mapError(fail("open"))
    )
    const fileOf = (k: string) => path.join(directory, createHash("sha256").update(k).digest("hex") + SUFFIX)
    const removeQuietly = (file: string) => Effect.ignore(fs.remove(file))

    const readEntry = (file: string, now: number): Effect.Effect<Option.Option<{ readonly v: string; readonly e: number }>, TokenStoreError> =>
      fs.readFileString(file).pipe(
        Effect.map((text) => Option.filter(decodeEntry(text), (entry) => entry.e > now)),
        Effect.catchIf(Compat.isNotFound, () => Effect.succeed(Option.none<{ readonly v: string; readonly e: number }>())),
        Effect.mapError(fail("get")),
        Effect.tap((entry) => (Option.isNone(entry) ? removeQuietly(file) : Effect.void))
      )

    let nextSweep = -Infinity
    const sweep = (now: number) =>
      now < nextSweep ? Effect.void : Effect.suspend(() => {
        nextSweep = now + SWEEP_EVERY_MS
        return fs.readDirectory(directory).pipe(
          Effect.flatMap((names) =>
            Effect.forEach(
              names.filter((n) => n.endsWith(SUFFIX) || n.endsWith(".tmp")),
              (name) => {
                const file = path.join(directory, name)
                if (name.endsWith(".tmp")) {
                  // a write that never finished, older than a minute
                  return fs.stat(file).pipe(
                    Effect.flatMap((info) =>
                      Option.match(info.mtime, {
                        onNone: () => Effect.void,
                        onSome: (t) => (now - t.getTime() > SWEEP_EVERY_MS ? removeQuietly(file) : Effect.void)
                      })),
                    Effect.ignore
                  )
                }
                return Effect.ignore(readEntry(file, now))
              },
              { discard: true }
            )),
          Effect.ignore
        )
      })

    yield* Effect.flatMap(Clock.currentTimeMillis, sweep)

    const write = (k: string, text: string) => {
      const file = fileOf(k)
      const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`
      return fs.writeFileString(tmp, text, { mode: 0o600, flag: "wx" }).pipe(
        Effect.andThen(fs.chmod(tmp, 0o600)),
        Effect.andThen(fs.rename(tmp, file)),
        Effect.tapError(() => removeQuietly(tmp)),
        Effect.mapError(fail("set"))
      )
    }

    return {
      shared: false,
      get: (k) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.map(readEntry(fileOf(k), now), Option.map((e) => e.v))),
      set: (k, value, ttl) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          write(k, encodeEntry({ v: value, e: now + Duration.toMillis(Compat.decodeDuration(ttl)) })).pipe(
            Effect.andThen(sweep(now))
          )),
      compareAndDelete: (k, expected) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.flatMap(readEntry(fileOf(k), now), (entry) =>
            Option.isSome(entry) && entry.value.v === expected
              ? fs.remove(fileOf(k)).pipe(Effect.as(true), Effect.mapError(fail("delete")))
              : Effect.succeed(false))),
      acquireLock: locks.acquireLock,
      releaseLock: locks.releaseLock,
      extendLock: locks.extendLock
    } satisfies Service
  })
