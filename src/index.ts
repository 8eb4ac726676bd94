/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category modules
 */
export * as AccessTokenProvider from "./AccessTokenProvider.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as BasicToken from "./BasicToken.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as JsSdk from "./JsSdk.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as MiniProgram from "./MiniProgram.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as Sns from "./Sns.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as TokenStore from "./TokenStore.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as WechatClient from "./WechatClient.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as WechatConfig from "./WechatConfig.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as WechatDecode from "./WechatDecode.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as WechatError from "./WechatError.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as WechatLogin from "./WechatLogin.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as WechatHttp from "./WechatHttp.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as WechatRetry from "./WechatRetry.js"
