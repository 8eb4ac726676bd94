/**
 * Facts about endpoints shared by the executor, the error table and the retry policies.
 * @internal
 */

/**
 * The endpoints that redeem a single-use code: never sent twice, so a failure after the
 * request may have reached WeChat means "send the user through consent again" (for the
 * phone number: "ask the user to tap the button again").
 */
export const CODE_EXCHANGES: ReadonlySet<string> = new Set(["sns/oauth2/access_token", "sns/jscode2session", "wxa/business/getuserphonenumber"])
