/**
 * Codec for the business-terminal interface of the resident ID card SAM
 * module (GA 467, 居民身份证验证安全控制模块接口技术规范; now GA/T 467-2019),
 * which most Bluetooth counter readers pass through unchanged over a BLE
 * serial (write / notify) service. Pure: bytes in, values or errors out.
 *
 * Frames (multi-byte values big-endian):
 *   command:  AA AA AA 96 69 | LEN(2) | CMD | PARA | DATA… | CHK
 *   response: AA AA AA 96 69 | LEN(2) | SW1 | SW2 | SW3 | DATA… | CHK
 * LEN counts everything after itself, checksum included; CHK is the XOR of
 * every byte after the preamble up to (not including) CHK. SW1/SW2 relay the
 * card's APDU status, SW3 is the module's own status: 0x90 success, 0x9F
 * "card found", anything else an error (table below).
 *
 * The answer to "read basic text + photo" (30 01) carries: text length (2),
 * photo length (2), the text (256 bytes, UCS-2 little-endian, space-padded),
 * the photo (1024 bytes, WLT-compressed; never decoded here — photos are not
 * stored). Text layout, in bytes: name 30, gender code 2, nation code 4,
 * birth date 16 (YYYYMMDD), address 70, ID number 36, issuing authority 30,
 * validity start 16, validity end 16 (YYYYMMDD or 长期), then 36 bytes the
 * newer card kinds use (the card-kind letter at byte 248).
 *
 * What this relies on (public descriptions: the standard's text is not freely
 * published, and none of this has been checked against a physical reader):
 * - the SAM module protocol as republished by a reader vendor, DONSEE
 *   "身份证阅读器模块SAM通讯协议" (eastcoms.com/service/downdrive/508.html,
 *   mirrored at blog.csdn.net/zhangbijun1230/article/details/85242964), and
 *   softs.im "身份证阅读器通信协议": preamble, length and checksum rules, the
 *   command table (20 01 find, 20 02 select, 30 01 read text + photo) and the
 *   SW3 status table — which open-source readers repeat (HslCommunication's
 *   SAM status texts; SDK headers listing 90/91/9F/10/11/21/23/24/31/32/33/
 *   40/41/47/60/66/80/81);
 * - published exchanges: yzsam.com "C# 使用串口分析SAM协议" (find →
 *   `…00 08 00 00 9F 00 00 00 00 97`, select → `…00 0C 00 00 90 00×8 9C`, a
 *   1295-byte read answer), eastcoms.com "身份证阅读器SAM模块身份证信息解析说明"
 *   (read answer header `AA AA AA 96 69 05 08 00 00 90 01 00 04 00`: text 256,
 *   photo 1024; text fields UCS-2LE, space-padded), softs.im "nfc读取身份证"
 *   (read failure `…00 04 00 00 41 45`). These are the fixtures of
 *   test/bluetooth-ga467.test.ts;
 * - open-source readers agreeing on the frame and text layout:
 *   HslCommunication SAMSerial (text at frame offset 14, 256 bytes; photo at
 *   270, 1024 bytes; name chars 0–14, gender 15, nation 16–17, birth 18–25,
 *   address 26–60, number 61–78, authority 79–93, validity 94–101/102–109),
 *   chenhaifeng2016/FaceRecognitionTest IDReader.h (the 30/2/4/16/70/36/30/16/16
 *   byte struct), and Johann356/readinfo PCSCGetData.h for the card-kind flag
 *   at byte 248 and the layouts of the Hong Kong/Macao/Taiwan residence permit
 *   ('J': resident layout plus pass number and issue count), the 2017 foreign
 *   permanent residence card ('I') and its 2023 edition ('Y').
 */
import { CardReaderError } from './reader-errors'

export const PREAMBLE: readonly number[] = [0xaa, 0xaa, 0xaa, 0x96, 0x69]

/**
 * Longest LEN we accept. The longest documented answer (text + photo +
 * fingerprints, 30 10) is 2321 bytes in all; anything far beyond is noise.
 */
export const MAX_LEN = 0x1000

export interface Command {
  cmd: number
  para: number
}

export const FIND_CARD: Command = { cmd: 0x20, para: 0x01 }
export const SELECT_CARD: Command = { cmd: 0x20, para: 0x02 }
export const READ_BASE_INFO: Command = { cmd: 0x30, para: 0x01 }

/** SW3 values with a meaning of their own. */
export const SW3 = {
  OK: 0x90,
  NO_CONTENT: 0x91,
  CARD_FOUND: 0x9f,
  FIND_FAILED: 0x80,
  SELECT_FAILED: 0x81,
  READ_FAILED: 0x41,
} as const

function xor(bytes: Uint8Array, from: number, to: number): number {
  let x = 0
  for (let i = from; i < to; i++) x ^= bytes[i]
  return x
}

export function encodeCommand(c: Command, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const len = 2 + data.length + 1
  const out = new Uint8Array(PREAMBLE.length + 2 + len)
  out.set(PREAMBLE, 0)
  out[5] = (len >> 8) & 0xff
  out[6] = len & 0xff
  out[7] = c.cmd
  out[8] = c.para
  out.set(data, 9)
  out[out.length - 1] = xor(out, 5, out.length - 1)
  return out
}

export interface ResponseFrame {
  sw1: number
  sw2: number
  sw3: number
  data: Uint8Array
}

export type Assembled = { ok: true; frame: ResponseFrame } | { ok: false; error: CardReaderError }

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0')

/**
 * What each documented SW3 error means for the clerk. The module's own names
 * are in the comments; "重新读卡" means tapping 读卡器 again.
 */
const SW3_ERRORS: Record<number, [code: string, message: string]> = {
  // 寻找证/卡失败
  0x80: ['NO_CARD', '未检测到身份证：请将身份证放在读卡器上（刚读过的证件请拿开再放上），然后重新读卡'],
  // 选取证/卡失败
  0x81: ['SELECT_FAILED', '未能选中身份证：请把身份证平放在读卡器上不要移动，然后重新读卡'],
  // 读证/卡操作失败
  0x41: ['READ_FAILED', '读取身份证失败：请把身份证放稳，读完之前不要拿开，然后重新读卡'],
  // 证/卡中此项无内容
  0x91: ['NO_CONTENT', '身份证中没有读到所需信息：请重新读卡，仍不行请改用拍照识别或手工录入'],
  // 接收业务终端数据的校验和错 / 长度错: the command was garbled on the way
  0x10: ['LINK_ERROR', '读卡器收到的指令不完整（蓝牙传输受干扰）：请让手机靠近读卡器，然后重新读卡'],
  0x11: ['LINK_ERROR', '读卡器收到的指令不完整（蓝牙传输受干扰）：请让手机靠近读卡器，然后重新读卡'],
  // 接收业务终端的命令错误
  0x21: ['COMMAND_REJECTED', '读卡器不认识读卡指令：请确认使用的是二代身份证阅读器，或改用拍照识别、手工录入'],
  // 越权操作
  0x23: ['COMMAND_REJECTED', '读卡器拒绝了读卡指令：请关闭读卡器电源再打开，然后重新读卡'],
  // 无法识别的错误
  0x24: ['READER_FAULT', '读卡器出现未知错误：请关闭读卡器电源再打开，然后重新读卡'],
  // 证/卡认证 SAM 失败; SAM 认证证/卡失败
  0x31: ['CARD_AUTH_FAILED', '身份证与读卡器互相认证失败：请重新放置证件再读；仍失败请核验证件真伪，或改用手工录入'],
  0x32: ['CARD_AUTH_FAILED', '身份证与读卡器互相认证失败：请重新放置证件再读；仍失败请核验证件真伪，或改用手工录入'],
  // 信息验证错误
  0x33: ['CARD_INVALID', '身份证信息验证失败：证件可能损坏或不是有效证件，请核验原件，或改用手工录入'],
  // 无法识别的卡类型
  0x40: ['WRONG_CARD', '读卡器放的不是二代身份证：请放居民身份证（社保卡、银行卡读不了）'],
  // 取随机数失败
  0x47: ['READ_FAILED', '读取身份证失败：请把身份证放稳，读完之前不要拿开，然后重新读卡'],
  // SAM 自检失败，不能接收命令
  0x60: ['READER_FAULT', '读卡器安全模块自检失败：请关闭读卡器电源再打开；仍不行请联系读卡器厂家'],
  // SAM 未经授权，无法使用
  0x66: ['READER_FAULT', '读卡器安全模块未经授权，无法使用：请联系读卡器厂家'],
}

/** The error for an SW3 that is not success (use after checking for 0x90 / 0x9F). */
export function statusError(f: Pick<ResponseFrame, 'sw1' | 'sw2' | 'sw3'>): CardReaderError {
  const known = SW3_ERRORS[f.sw3]
  if (known) return new CardReaderError(known[0], known[1])
  return new CardReaderError(
    'READER_STATUS',
    `读卡器返回未知状态（${hex(f.sw1)} ${hex(f.sw2)} ${hex(f.sw3)}）：请重新读卡，仍不行请改用拍照识别或手工录入`,
  )
}

const checksumError = () => new CardReaderError('CHECKSUM', '读卡数据校验失败（蓝牙传输受干扰）：请让手机靠近读卡器，然后重新读卡')
const frameError = () => new CardReaderError('BAD_FRAME', '读卡器返回的数据格式不对：请重新读卡；仍不行请确认读卡器型号是否支持')

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice()
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

function indexOfPreamble(buf: Uint8Array): number {
  outer: for (let i = 0; i + PREAMBLE.length <= buf.length; i++) {
    for (let j = 0; j < PREAMBLE.length; j++) if (buf[i + j] !== PREAMBLE[j]) continue outer
    return i
  }
  return -1
}

/**
 * Reassembles response frames from notification chunks of any size. Bytes
 * before a preamble are skipped; a frame with an impossible length or a bad
 * checksum comes out as an error and the stream resynchronises after it.
 */
export class FrameAssembler {
  private buf: Uint8Array = new Uint8Array(0)

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.buf.length
  }

  reset(): void {
    this.buf = new Uint8Array(0)
  }

  push(chunk: ArrayBuffer | Uint8Array): Assembled[] {
    const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk)
    this.buf = concat(this.buf, bytes)
    const out: Assembled[] = []
    for (;;) {
      const at = indexOfPreamble(this.buf)
      if (at < 0) {
        // keep a tail that may be the start of a preamble split across chunks
        this.buf = this.buf.slice(Math.max(0, this.buf.length - (PREAMBLE.length - 1)))
        return out
      }
      if (at > 0) this.buf = this.buf.slice(at)
      if (this.buf.length < 7) return out
      const len = (this.buf[5] << 8) | this.buf[6]
      if (len < 4 || len > MAX_LEN) {
        out.push({ ok: false, error: frameError() })
        this.buf = this.buf.slice(1) // look for the next preamble
        continue
      }
      const total = 7 + len
      if (this.buf.length < total) return out
      const frame = this.buf.subarray(0, total)
      if (xor(frame, 5, total - 1) !== frame[total - 1]) {
        out.push({ ok: false, error: checksumError() })
      } else {
        out.push({ ok: true, frame: { sw1: frame[7], sw2: frame[8], sw3: frame[9], data: frame.slice(10, total - 1) } })
      }
      this.buf = this.buf.slice(total)
    }
  }
}

/** Decodes one complete response frame (no chunking); throws CardReaderError. */
export function decodeResponse(bytes: Uint8Array): ResponseFrame {
  const a = new FrameAssembler()
  const got = a.push(bytes)
  if (got.length !== 1 || a.buffered > 0) throw frameError()
  const r = got[0]
  if (!r.ok) throw r.error
  return r.frame
}

// --- the text block ----------------------------------------------------------

export type CardKind =
  /** 居民身份证 */
  | 'resident'
  /** 港澳台居民居住证 ('J') */
  | 'hmt_residence_permit'
  /** 外国人永久居留身份证, 2017 edition ('I'; 15-character number) */
  | 'foreign_permanent'
  /** 外国人永久居留身份证, 2023 edition ('Y'; 18-digit number starting with 9) */
  | 'foreign_permanent_2023'

export interface IdCardText {
  kind: CardKind
  /** The name as printed in Chinese; for foreign cards without one, the English name. */
  name: string
  /** Foreign cards only; '' otherwise. */
  englishName: string
  /** GB/T 2261.1: '1' male, '2' female, '0' unknown, '9' unstated. */
  genderCode: string
  /** Nation code (GB/T 3304, '01' 汉) or, on foreign cards, the country code (ISO 3166-1 alpha-3). */
  nation: string
  /** YYYYMMDD */
  birthDate: string
  /** '' on foreign cards. */
  address: string
  idNumber: string
  /** '' on foreign cards (the 2017 edition carries a 4-digit office code instead). */
  issuer: string
  /** YYYYMMDD */
  validFrom: string
  /** YYYYMMDD or 长期 */
  validUntil: string
  /** 'J' cards: the Hong Kong/Macao/Taiwan travel permit number; '' otherwise. */
  permitNumber: string
}

export const TEXT_BYTES = 256

/** UCS-2 little-endian → string (surrogate pairs come through as pairs). */
export function ucs2le(bytes: Uint8Array, from = 0, to = bytes.length): string {
  let s = ''
  for (let i = from; i + 1 < to; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8))
  return s
}

const clean = (s: string) => s.replace(/^[\s\u0000]+|[\s\u0000]+$/g, '')

/**
 * Decodes the data of a successful 30 01 answer. Only the text is read; the
 * photo bytes are skipped.
 */
export function decodeBaseInfo(data: Uint8Array): IdCardText {
  if (data.length < 4) throw frameError()
  const textLen = (data[0] << 8) | data[1]
  if (textLen < TEXT_BYTES || data.length < 4 + textLen) {
    throw new CardReaderError('INCOMPLETE', '读到的身份证信息不完整：请把身份证放稳，然后重新读卡')
  }
  // character fields: [first char, char count] within the 128-char text
  const t = ucs2le(data, 4, 4 + TEXT_BYTES)
  const f = (at: number, n: number) => clean(t.slice(at, at + n))
  const flag = t.charAt(124)
  if (flag === 'I') {
    // english name 60, gender 1, number 15, country 3, chinese name 15, from 8, until 8, birth 8, version 2, office 4
    const english = f(0, 60)
    return {
      kind: 'foreign_permanent',
      name: f(79, 15) || english,
      englishName: english,
      genderCode: f(60, 1),
      nation: f(76, 3),
      birthDate: f(110, 8),
      address: '',
      idNumber: f(61, 15),
      issuer: '',
      validFrom: f(94, 8),
      validUntil: f(102, 8),
      permitNumber: '',
    }
  }
  if (flag === 'Y') {
    // chinese name 15, gender 1, renewals 2, birth 8, english name 35, number 18, reserved 15,
    // from 8, until 8, english name continued 11, country 3
    const english = clean(t.slice(26, 61) + t.slice(110, 121))
    return {
      kind: 'foreign_permanent_2023',
      name: f(0, 15) || english,
      englishName: english,
      genderCode: f(15, 1),
      nation: f(121, 3),
      birthDate: f(18, 8),
      address: '',
      idNumber: f(61, 18),
      issuer: '',
      validFrom: f(94, 8),
      validUntil: f(102, 8),
      permitNumber: '',
    }
  }
  // resident ID card (flag blank) and residence permit ('J'): name 15, gender 1, nation 2,
  // birth 8, address 35, number 18, authority 15, from 8, until 8, [J: permit number 9, issues 2]
  return {
    kind: flag === 'J' ? 'hmt_residence_permit' : 'resident',
    name: f(0, 15),
    englishName: '',
    genderCode: f(15, 1),
    nation: f(16, 2),
    birthDate: f(18, 8),
    address: f(26, 35),
    idNumber: f(61, 18),
    issuer: f(79, 15),
    validFrom: f(94, 8),
    validUntil: f(102, 8),
    permitNumber: flag === 'J' ? f(110, 9) : '',
  }
}
