/**
 * Reading a `Result` (Effect 3's `Either`, Effect 4's `Result`) in assertions, the same
 * way in both editions.
 */
import * as Compat from "#compat"

export const isFailure = <A, E>(r: Compat.Result<A, E>): r is Compat.Failure<A, E> => Compat.Result.isFailure(r)

export const isSuccess = <A, E>(r: Compat.Result<A, E>): r is Compat.Success<A, E> => Compat.Result.isSuccess(r)

/** The failure, or `undefined` for a success. */
export const failureOf = <A, E>(r: Compat.Result<A, E>): E | undefined => (Compat.Result.isFailure(r) ? Compat.Result.failure(r) : undefined)

/** The success, or `undefined` for a failure. */
export const successOf = <A, E>(r: Compat.Result<A, E>): A | undefined => (Compat.Result.isSuccess(r) ? Compat.Result.success(r) : undefined)
