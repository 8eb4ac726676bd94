/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AccessTokenProvider from "./AccessTokenProvider.js"

/**
 * @since 0.1.0
 */
export * as BasicToken from "./BasicToken.js"

/**
 * @since 0.1.0
 */
export * as JsSdk from "./JsSdk.js"

/**
 * @since 0.1.0
 */
export * as MiniProgram from "./MiniProgram.js"

/**
 * @since 0.1.0
 */
export * as Sns from "./Sns.js"

/**
 * @since 0.1.0
 */
export * as TokenStore from "./TokenStore.js"

/**
 * @since 0.2.0
 */
export * as WechatClient from "./WechatClient.js"

/**
 * @since 0.1.0
 */
export * as WechatConfig from "./WechatConfig.js"

/**
 * @since 0.1.0
 */
export * as WechatDecode from "./WechatDecode.js"

/**
 * @since 0.1.0
 */
export * as WechatError from "./WechatError.js"

/**
 * @since 0.2.0
 */
export * as WechatLogin from "./WechatLogin.js"

/**
 * @since 0.1.0
 */
export * as WechatHttp from "./WechatHttp.js"

/**
 * @since 0.1.0
 */
export * as WechatRetry from "./WechatRetry.js"
