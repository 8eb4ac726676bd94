/**
 * The mini program's open data as WeChat sends it (docs/miniprogram.md §3.4), as schemas
 * for `MiniProgram.decrypt` and `MiniProgram.phoneNumber`. Field names are WeChat's own
 * (already camelCase); each class has a plain-JSON form (`Option` as value or `null`).
 * Re-exported by `MiniProgram`.
 * @internal
 */
import { Option, Schema } from "effect"
import * as Compat from "#compat"

const text = Compat.optionalDefault(Schema.String, () => "")
const maybe = <S extends Compat.AnyCodec>(schema: S) => Compat.optionalOption(schema)

/**
 * Which app data was made for (`appid`, to compare with ours) and when (`timestamp`,
 * seconds since the epoch).
 *
 * @since 0.2.0
 * @category open data
 */
export class Watermark extends Schema.Class<Watermark>("effect-wechat/MiniProgram/Watermark")({
  appid: Schema.String,
  timestamp: Schema.Number
}) {
  /** @since 0.2.0 */
  toJSON(): { readonly appid: string; readonly timestamp: number } {
    return { appid: this.appid, timestamp: this.timestamp }
  }
}

const watermarkJson = (w: Option.Option<Watermark>) => Option.getOrNull(Option.map(w, (x) => x.toJSON()))

/** WeChat documents a string and its own example prints a number: both are read as a string. */
const CountryCode = Compat.union(
  Schema.String,
  Compat.transform(Schema.Number, Schema.String, (n) => String(n), (s) => Number(s))
)

/**
 * A phone number: `phoneNumber` as the user bound it (with its country code outside
 * mainland China), `purePhoneNumber` without it, `countryCode` (`"86"`). Personal data:
 * the library never logs it.
 *
 * @since 0.2.0
 * @category open data
 */
export class PhoneNumber extends Schema.Class<PhoneNumber>("effect-wechat/MiniProgram/PhoneNumber")({
  phoneNumber: Schema.NonEmptyString,
  purePhoneNumber: Schema.String,
  countryCode: CountryCode,
  watermark: Watermark
}) {
  /** @since 0.2.0 */
  toJSON() {
    return { phoneNumber: this.phoneNumber, purePhoneNumber: this.purePhoneNumber, countryCode: this.countryCode, watermark: this.watermark.toJSON() }
  }
}

/**
 * The profile from `wx.getUserInfo` (with `openId` and `unionId`) or `wx.getUserProfile`
 * (without them). Since 2021 WeChat gives new versions an anonymous profile and a
 * `gender` of 0 with empty region fields.
 *
 * @since 0.2.0
 * @category open data
 */
export class UserInfo extends Schema.Class<UserInfo>("effect-wechat/MiniProgram/UserInfo")({
  openId: maybe(Schema.String),
  nickName: Schema.String,
  /** 1 male, 2 female, 0 unknown. */
  gender: Compat.optionalDefault(Schema.Number, () => 0),
  language: text,
  city: text,
  province: text,
  country: text,
  avatarUrl: text,
  unionId: maybe(Schema.String),
  watermark: Watermark
}) {
  /** @since 0.2.0 */
  toJSON() {
    return {
      openId: Option.getOrNull(this.openId),
      nickName: this.nickName,
      gender: this.gender,
      language: this.language,
      city: this.city,
      province: this.province,
      country: this.country,
      avatarUrl: this.avatarUrl,
      unionId: Option.getOrNull(this.unionId),
      watermark: this.watermark.toJSON()
    }
  }
}

/**
 * One day of WeRun steps: `timestamp` (seconds) and `step`.
 *
 * @since 0.2.0
 * @category open data
 */
export class StepInfo extends Schema.Class<StepInfo>("effect-wechat/MiniProgram/StepInfo")({
  timestamp: Schema.Number,
  step: Schema.Number
}) {
  /** @since 0.2.0 */
  toJSON(): { readonly timestamp: number; readonly step: number } {
    return { timestamp: this.timestamp, step: this.step }
  }
}

/**
 * WeRun data (`wx.getWeRunData`): the last 31 days of steps.
 *
 * @since 0.2.0
 * @category open data
 */
export class RunData extends Schema.Class<RunData>("effect-wechat/MiniProgram/RunData")({
  stepInfoList: Schema.Array(StepInfo),
  watermark: maybe(Watermark)
}) {
  /** @since 0.2.0 */
  toJSON() {
    return { stepInfoList: this.stepInfoList.map((s) => s.toJSON()), watermark: watermarkJson(this.watermark) }
  }
}

/**
 * The group a shared card was opened in (`wx.getShareInfo`, unmaintained since base
 * library 2.17.3): `openGId`.
 *
 * @since 0.2.0
 * @category open data
 */
export class ShareInfo extends Schema.Class<ShareInfo>("effect-wechat/MiniProgram/ShareInfo")({
  openGId: Schema.String,
  watermark: maybe(Watermark)
}) {
  /** @since 0.2.0 */
  toJSON() {
    return { openGId: this.openGId, watermark: watermarkJson(this.watermark) }
  }
}

/**
 * The chat a mini program was opened from (`wx.getGroupEnterInfo`, `wx.getChatToolInfo`):
 * `opengid` (lowercase, unlike `ShareInfo`) and, from base library 3.7.8, the optional
 * single-chat and group ids and the chat type.
 *
 * @since 0.2.0
 * @category open data
 */
export class GroupEnterInfo extends Compat.WireClass<GroupEnterInfo>("effect-wechat/MiniProgram/GroupEnterInfo")({
  opengid: Schema.String,
  openSingleRoomid: maybe(Schema.String),
  groupOpenid: maybe(Schema.String),
  chatType: maybe(Schema.Number),
  watermark: maybe(Watermark)
}, { openSingleRoomid: "open_single_roomid", groupOpenid: "group_openid", chatType: "chat_type" }) {
  /** @since 0.2.0 */
  toJSON() {
    return {
      opengid: this.opengid,
      openSingleRoomid: Option.getOrNull(this.openSingleRoomid),
      groupOpenid: Option.getOrNull(this.groupOpenid),
      chatType: Option.getOrNull(this.chatType),
      watermark: watermarkJson(this.watermark)
    }
  }
}

/**
 * Any open data: a JSON object.
 *
 * @since 0.2.0
 * @category open data
 */
export const OpenData = Compat.record(Schema.String, Schema.Unknown)

/**
 * @since 0.2.0
 * @category open data
 */
export type OpenData = typeof OpenData.Type
