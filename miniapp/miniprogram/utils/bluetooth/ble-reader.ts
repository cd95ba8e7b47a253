/**
 * A CardReader for second-generation ID card readers that pass the SAM
 * module's GA 467 frames through a BLE serial service (one characteristic to
 * write commands to, one that notifies the answers). See ga467.ts for the
 * protocol and what it was checked against.
 *
 * Reading: open the adapter → connect to the remembered reader (storage) or
 * discover one → pick the service with a write and a notify characteristic →
 * enable notifications → find card (20 01, polled a few times) → select
 * (20 02) → read text + photo (30 01) → name, ID number and validity for
 * POST /scan/id-card. The connection is kept for the next read; a kept
 * connection that turns out dead is replaced once, transparently.
 *
 * Vendors differ in GATT layout and in the names they advertise, so both are
 * options; the defaults are guesses documented below, not facts about any
 * particular model. Social-security cards are PBOC/ISO 7816 contact cards read
 * with vendor-specific commands, not GA 467: `read('ss_card')` says so.
 *
 * Every failure is a CardReaderError (NoReaderError when no reader is found)
 * whose message tells the clerk what to do.
 */
import type { IdCardReaderFields } from '../../api/contract'
import type { CardKind, ReaderFields } from '../../api/scan'
import type { CardReader } from '../card-reader'
import {
  FIND_CARD,
  FrameAssembler,
  READ_BASE_INFO,
  SELECT_CARD,
  SW3,
  decodeBaseInfo,
  encodeCommand,
  statusError,
  type Command,
  type IdCardText,
  type ResponseFrame,
} from './ga467'
import { CardReaderError, NoReaderError } from './reader-errors'

/** What discovery reports of a device (a subset of wx's BlueToothDevice). */
export interface FoundDevice {
  deviceId: string
  name?: string
  localName?: string
  advertisServiceUUIDs?: string[]
  RSSI?: number
}

export interface BleReaderOptions {
  /**
   * GATT services to talk through, most preferred first (16-bit 'FFE0' or full
   * UUIDs). Default: a known BLE-serial service if present (FFE0, FFF0, Nordic
   * UART), else the first non-standard service having both a write and a
   * notify/indicate characteristic.
   */
  serviceUuids?: string[]
  /** Default: the service's first characteristic with write / writeNoResponse. */
  writeCharacteristicUuid?: string
  /** Default: the service's first characteristic with notify / indicate. */
  notifyCharacteristicUuid?: string
  /**
   * Which discovered device is the reader. Default: its name or local name
   * matches `namePattern`, or it advertises one of `serviceUuids`.
   */
  deviceFilter?: (d: FoundDevice) => boolean
  /** Default DEFAULT_NAME_PATTERN. */
  namePattern?: RegExp
  /** How long discovery looks for a reader before giving up (default 8 s). */
  scanTimeoutMs?: number
  /** createBLEConnection timeout (default 10 s). */
  connectTimeoutMs?: number
  /** How long one command may wait for its answer (default 5 s). */
  commandTimeoutMs?: number
  /** Find-card attempts before saying no card is on the reader (default 3). */
  findAttempts?: number
  /** Pause between find-card attempts (default 300 ms). */
  findIntervalMs?: number
  /** Largest write (default 20 bytes: the BLE 4.0 ATT payload with the default MTU). */
  chunkSize?: number
  /** Storage key of the remembered reader (default 'card_reader_ble_device'). */
  storageKey?: string
}

/**
 * Names readers plausibly advertise: Chinese words for ID card / card reader,
 * "ID card", "card reader", and two common model prefixes (iDR…, CVR…). A guess:
 * set `namePattern` or `deviceFilter` for the model actually in use.
 */
export const DEFAULT_NAME_PATTERN = /身份证|读卡|阅读器|id ?card|card ?reader|id ?reader|^idr|^cvr/i

const SIG_BASE = '-0000-1000-8000-00805F9B34FB'

/** Common BLE-serial services: HM-10/CC254x modules (FFE0), many others (FFF0), Nordic UART. */
const SERIAL_SERVICES = ['FFE0', 'FFF0', '6E400001-B5A3-F393-E0A9-E50E24DCCA9E']

export const MESSAGES = {
  BLUETOOTH_OFF: '手机蓝牙未打开：请打开手机蓝牙，然后重新读卡',
  BLUETOOTH_DENIED: '微信没有使用蓝牙的权限：请在手机设置中允许微信使用蓝牙（并在小程序设置中允许使用蓝牙），然后重新读卡',
  PRIVACY: '使用蓝牙前需要同意小程序的隐私保护指引：请同意后重新读卡',
  LOCATION_OFF: '安卓手机搜索蓝牙设备需要定位：请打开手机定位并允许微信使用位置信息，然后重新读卡',
  UNSUPPORTED: '这部手机不支持蓝牙读卡器：请改用拍照识别或手工录入',
  NO_DEVICE: '未找到蓝牙读卡器：请打开读卡器电源并放在手机旁重新读卡，或改用拍照识别或手工录入',
  CONNECT_FAILED: '连接读卡器失败：请确认读卡器已开机、没有被其他手机连着，放近后重新读卡',
  INCOMPATIBLE: '这台读卡器不兼容：没有找到读卡数据通道，请联系管理员确认读卡器型号，或改用拍照识别、手工录入',
  DISCONNECTED: '读卡器连接已断开：请确认读卡器已开机、电量充足并靠近手机，然后重新读卡',
  TIMEOUT: '读卡器没有响应：请确认读卡器已开机并靠近手机，然后重新读卡',
  SS_CARD: '这台蓝牙读卡器只能读身份证，不能读社保卡：请改用拍照识别社保卡，或手工录入',
  BUSY: '正在读卡，请稍候',
  INCOMPLETE: '读到的身份证信息不完整：请把身份证放稳，然后重新读卡',
} as const

// --- small helpers -------------------------------------------------------------

interface WxFail {
  errMsg?: string
  errCode?: number
  /** iOS openBluetoothAdapter: 2 unsupported, 3 unauthorised, 4 powered off. */
  state?: number
}

interface Callbacks<R> {
  success: (r: R) => void
  fail: (e: WxFail) => void
}

function call<R = unknown>(start: (cb: Callbacks<R>) => void): Promise<R> {
  return new Promise<R>((resolve, reject) => start({ success: resolve, fail: reject }))
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(onTimeout()), ms)
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e) => {
        clearTimeout(t)
        reject(e)
      },
    )
  })
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const noop = () => undefined
const err = (code: keyof typeof MESSAGES) => new CardReaderError(code, MESSAGES[code])

function isCode(e: unknown, ...codes: string[]): boolean {
  return e instanceof CardReaderError && codes.includes(e.code)
}

/** 'ffe0' → '0000FFE0-0000-1000-8000-00805F9B34FB'; full UUIDs upper-cased. */
export function normaliseUuid(u: string): string {
  const s = u.trim().toUpperCase()
  if (/^[0-9A-F]{4}$/.test(s)) return `0000${s}${SIG_BASE}`
  if (/^[0-9A-F]{8}$/.test(s)) return `${s}${SIG_BASE}`
  return s
}

export const sameUuid = (a: string, b: string) => normaliseUuid(a) === normaliseUuid(b)

/** Services adopted by the Bluetooth SIG (0x1800–0x18FF: GAP, device information, battery…). */
const isSigService = (u: string) => /^000018[0-9A-F]{2}-/.test(normaliseUuid(u)) && normaliseUuid(u).endsWith(SIG_BASE)

type Stage = 'adapter' | 'scan' | 'connect' | 'channel' | 'write'

/** A failed wx Bluetooth call as a CardReaderError saying what to do. */
export function bleError(e: unknown, stage: Stage): CardReaderError {
  if (e instanceof CardReaderError) return e
  const f = (e && typeof e === 'object' ? e : {}) as WxFail
  const msg = String(f.errMsg || '')
  const code = f.errCode
  if (/privacy/i.test(msg)) return err('PRIVACY')
  if (/location/i.test(msg)) return err('LOCATION_OFF')
  if (/auth|permission|deny|denied|unauthori[sz]ed/i.test(msg) || f.state === 3) return err('BLUETOOTH_DENIED')
  if (code === 10001 || f.state === 4 || /not available|powered off/i.test(msg)) return err('BLUETOOTH_OFF')
  if (code === 10009 || f.state === 2 || /system not support/i.test(msg)) return err('UNSUPPORTED')
  if (code === 10006 || /no connection/i.test(msg)) return err('DISCONNECTED')
  if (stage === 'connect') return err('CONNECT_FAILED')
  if (stage === 'channel' && (code === 10004 || code === 10005 || code === 10007)) return err('INCOMPATIBLE')
  return new CardReaderError(
    'BLUETOOTH_FAILED',
    `蓝牙通信出错（${code ?? ''}${msg ? ` ${msg}` : ''}）：请关闭再打开手机蓝牙，然后重新读卡`,
  )
}

/** `YYYYMMDD` → `YYYY-MM-DD` if a real date; 长期 as is; anything else dropped (the server would refuse it). */
export function validUntil(v: string): string | undefined {
  if (v === '长期') return v
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(v)
  if (!m) return undefined
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const dt = new Date(Date.UTC(y, mo - 1, d))
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return undefined
  return `${m[1]}-${m[2]}-${m[3]}`
}

/** The decoded card as the fields POST /scan/id-card takes (the server validates them). */
export function readerFields(info: IdCardText): ReaderFields {
  if (!info.name || !info.idNumber) throw err('INCOMPLETE')
  const fields: IdCardReaderFields = { name: info.name, id_number: info.idNumber }
  const until = validUntil(info.validUntil)
  if (until) fields.valid_until = until
  return { kind: 'id_card', fields }
}

/** True when this runtime has the mini-program BLE API at all. */
export function bluetoothAvailable(): boolean {
  return (
    typeof wx !== 'undefined' &&
    typeof (wx as unknown as { openBluetoothAdapter?: unknown }).openBluetoothAdapter === 'function'
  )
}

// --- one connection ------------------------------------------------------------

interface Waiter {
  resolve: (f: ResponseFrame) => void
  reject: (e: Error) => void
  timer: ReturnType<typeof setTimeout>
}

interface ValueChange {
  deviceId: string
  characteristicId: string
  value: ArrayBuffer
}

class Link {
  connected = true
  /** A frame (good or bad) arrived since the last `answered = false`. */
  answered = false
  private readonly asm = new FrameAssembler()
  private waiter: Waiter | null = null

  constructor(
    readonly deviceId: string,
    readonly serviceId: string,
    readonly writeId: string,
    readonly notifyId: string,
    private readonly chunkSize: number,
    private readonly commandTimeoutMs: number,
  ) {}

  onValue(r: ValueChange): void {
    if (r.deviceId !== this.deviceId || !sameUuid(r.characteristicId, this.notifyId)) return
    if (!this.waiter) return // nothing asked: stray bytes
    for (const a of this.asm.push(r.value)) {
      this.answered = true
      if (a.ok) this.settle(a.frame, null)
      else this.settle(null, a.error)
    }
  }

  onState(r: { deviceId: string; connected: boolean }): void {
    if (r.deviceId !== this.deviceId || r.connected) return
    this.connected = false
    this.settle(null, err('DISCONNECTED'))
  }

  async command(c: Command): Promise<ResponseFrame> {
    if (!this.connected) throw err('DISCONNECTED')
    this.asm.reset()
    const answer = new Promise<ResponseFrame>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(null, err('TIMEOUT')), this.commandTimeoutMs)
      this.waiter = { resolve, reject, timer }
    })
    try {
      await this.write(encodeCommand(c))
    } catch (e) {
      this.settle(null, bleError(e, 'write'))
    }
    return answer
  }

  close(): void {
    this.connected = false
    this.settle(null, err('DISCONNECTED'))
    if (bluetoothAvailable()) wx.closeBLEConnection({ deviceId: this.deviceId, fail: noop })
  }

  private settle(frame: ResponseFrame | null, e: Error | null): void {
    const w = this.waiter
    if (!w) return
    this.waiter = null
    clearTimeout(w.timer)
    if (frame) w.resolve(frame)
    else w.reject(e || err('DISCONNECTED'))
  }

  private async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; at += this.chunkSize) {
      const value = bytes.slice(at, at + this.chunkSize).buffer
      await call((cb) =>
        wx.writeBLECharacteristicValue({
          deviceId: this.deviceId,
          serviceId: this.serviceId,
          characteristicId: this.writeId,
          value,
          ...cb,
        }),
      )
    }
  }
}

// --- the reader ----------------------------------------------------------------

interface Characteristic {
  uuid: string
  properties: { write?: boolean; writeNoResponse?: boolean; notify?: boolean; indicate?: boolean }
}

interface Remembered {
  deviceId: string
  name?: string
}

export class BleCardReader implements CardReader {
  private readonly o: Required<Omit<BleReaderOptions, 'writeCharacteristicUuid' | 'notifyCharacteristicUuid'>> &
    Pick<BleReaderOptions, 'writeCharacteristicUuid' | 'notifyCharacteristicUuid'>
  private link: Link | null = null
  private busy = false
  /** The wx object our event listeners are registered on. */
  private listeningOn: unknown = null
  private onFound: ((devices: FoundDevice[]) => void) | null = null

  constructor(options: BleReaderOptions = {}) {
    const serviceUuids = options.serviceUuids || []
    const namePattern = options.namePattern || DEFAULT_NAME_PATTERN
    const named = (s: string | undefined) => {
      namePattern.lastIndex = 0 // a /g pattern would otherwise remember where it stopped
      return namePattern.test(s || '')
    }
    this.o = {
      serviceUuids,
      writeCharacteristicUuid: options.writeCharacteristicUuid,
      notifyCharacteristicUuid: options.notifyCharacteristicUuid,
      namePattern,
      deviceFilter:
        options.deviceFilter ||
        ((d) =>
          named(d.name) ||
          named(d.localName) ||
          (d.advertisServiceUUIDs || []).some((u) => serviceUuids.some((s) => sameUuid(s, u)))),
      scanTimeoutMs: options.scanTimeoutMs ?? 8000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10000,
      commandTimeoutMs: options.commandTimeoutMs ?? 5000,
      findAttempts: Math.max(1, options.findAttempts ?? 3),
      findIntervalMs: options.findIntervalMs ?? 300,
      chunkSize: Math.max(1, options.chunkSize ?? 20),
      storageKey: options.storageKey || 'card_reader_ble_device',
    }
  }

  async read(kind: CardKind): Promise<ReaderFields> {
    if (kind !== 'id_card') throw new CardReaderError('CARD_NOT_SUPPORTED', MESSAGES.SS_CARD)
    if (this.busy) throw err('BUSY')
    this.busy = true
    try {
      const first = await this.session()
      try {
        return await this.readWith(first.link)
      } catch (e) {
        // A kept connection can die unnoticed (reader slept): one fresh try,
        // but only if the reader never answered in this read.
        if (first.reused && !first.link.answered && isCode(e, 'DISCONNECTED')) {
          const fresh = await this.session()
          return await this.readWith(fresh.link)
        }
        throw e
      }
    } finally {
      this.busy = false
    }
  }

  /** Drops the connection (e.g. when the register page closes). */
  close(): void {
    this.link?.close()
    this.link = null
  }

  /** Forgets the remembered reader, so the next read discovers afresh. */
  forgetDevice(): void {
    wx.removeStorageSync(this.o.storageKey)
  }

  private async readWith(link: Link): Promise<ReaderFields> {
    link.answered = false
    try {
      let found = false
      for (let i = 0; i < this.o.findAttempts && !found; i++) {
        if (i > 0) await sleep(this.o.findIntervalMs)
        const r = await link.command(FIND_CARD)
        if (r.sw3 === SW3.CARD_FOUND || r.sw3 === SW3.OK) found = true
        else if (r.sw3 !== SW3.FIND_FAILED) throw statusError(r)
      }
      if (!found) throw statusError({ sw1: 0, sw2: 0, sw3: SW3.FIND_FAILED })
      const sel = await link.command(SELECT_CARD)
      if (sel.sw3 !== SW3.OK) throw statusError(sel)
      const base = await link.command(READ_BASE_INFO)
      if (base.sw3 !== SW3.OK) throw statusError(base)
      return readerFields(decodeBaseInfo(base.data))
    } catch (e) {
      if (!link.connected || isCode(e, 'TIMEOUT', 'DISCONNECTED')) this.drop(link)
      throw e
    }
  }

  private drop(link: Link): void {
    if (this.link === link) this.link = null
    if (link.connected) link.close()
  }

  private async session(): Promise<{ link: Link; reused: boolean }> {
    if (this.link && this.link.connected) return { link: this.link, reused: true }
    this.link = null
    const link = await this.open()
    this.link = link
    return { link, reused: false }
  }

  private async open(): Promise<Link> {
    if (!bluetoothAvailable()) throw new NoReaderError()
    this.listen()
    await call((cb) => wx.openBluetoothAdapter(cb)).catch((e) => {
      throw bleError(e, 'adapter')
    })
    const remembered = this.remembered()
    if (remembered) {
      try {
        return await this.connect(remembered.deviceId, remembered.name)
      } catch (e) {
        if (isCode(e, 'BLUETOOTH_OFF', 'BLUETOOTH_DENIED', 'PRIVACY', 'UNSUPPORTED')) throw e
        this.forgetDevice() // gone, replaced or incompatible: look for one
      }
    }
    const d = await this.discover()
    return this.connect(d.deviceId, d.name || d.localName)
  }

  private listen(): void {
    if (this.listeningOn === wx) return
    this.listeningOn = wx
    wx.onBLECharacteristicValueChange((r) => this.link?.onValue(r))
    wx.onBLEConnectionStateChange((r) => this.link?.onState(r))
    wx.onBluetoothDeviceFound((r) => this.onFound?.(r.devices))
  }

  private remembered(): Remembered | null {
    const r = wx.getStorageSync(this.o.storageKey) as Remembered | ''
    return r && typeof r === 'object' && r.deviceId ? r : null
  }

  private discover(): Promise<FoundDevice> {
    return new Promise<FoundDevice>((resolve, reject) => {
      let done = false
      const finish = (device: FoundDevice | null, e: Error | null) => {
        if (done) return
        done = true
        clearTimeout(timer)
        this.onFound = null
        wx.stopBluetoothDevicesDiscovery({ fail: noop })
        if (device) resolve(device)
        else reject(e || new NoReaderError(MESSAGES.NO_DEVICE))
      }
      const timer = setTimeout(() => finish(null, new NoReaderError(MESSAGES.NO_DEVICE)), this.o.scanTimeoutMs)
      this.onFound = (devices) => {
        const d = devices.find((x) => this.o.deviceFilter(x))
        if (d) finish(d, null)
      }
      wx.startBluetoothDevicesDiscovery({
        allowDuplicatesKey: false,
        success: noop,
        fail: (e) => finish(null, bleError(e, 'scan')),
      })
    })
  }

  private async connect(deviceId: string, name?: string): Promise<Link> {
    const connecting = call((cb) => wx.createBLEConnection({ deviceId, timeout: this.o.connectTimeoutMs, ...cb }))
    await withTimeout(connecting, this.o.connectTimeoutMs + 1000, () => err('CONNECT_FAILED')).catch((e: WxFail) => {
      if (e && e.errCode === -1) return // already connected
      wx.closeBLEConnection({ deviceId, fail: noop }) // in case it connects after we gave up
      throw bleError(e, 'connect')
    })
    try {
      const ch = await this.channel(deviceId)
      await call((cb) =>
        wx.notifyBLECharacteristicValueChange({
          deviceId,
          serviceId: ch.serviceId,
          characteristicId: ch.notifyId,
          state: true,
          ...cb,
        }),
      ).catch((e) => {
        throw bleError(e, 'channel')
      })
      const link = new Link(deviceId, ch.serviceId, ch.writeId, ch.notifyId, this.o.chunkSize, this.o.commandTimeoutMs)
      wx.setStorageSync(this.o.storageKey, { deviceId, name: name || '' })
      return link
    } catch (e) {
      wx.closeBLEConnection({ deviceId, fail: noop })
      throw e
    }
  }

  /** The service and characteristics to talk through. */
  private async channel(deviceId: string): Promise<{ serviceId: string; writeId: string; notifyId: string }> {
    const { services } = await call<{ services: { uuid: string }[] }>((cb) =>
      wx.getBLEDeviceServices({ deviceId, ...cb }),
    ).catch((e) => {
      throw bleError(e, 'channel')
    })
    for (const serviceId of this.orderServices(services.map((s) => s.uuid))) {
      let characteristics: Characteristic[]
      try {
        ;({ characteristics } = await call<{ characteristics: Characteristic[] }>((cb) =>
          wx.getBLEDeviceCharacteristics({ deviceId, serviceId, ...cb }),
        ))
      } catch (e) {
        const mapped = bleError(e, 'channel')
        if (mapped.code === 'INCOMPATIBLE') continue // this service is not it; try the next
        throw mapped
      }
      const write = pick(characteristics, this.o.writeCharacteristicUuid, (p) => !!(p.write || p.writeNoResponse))
      const notify = pick(characteristics, this.o.notifyCharacteristicUuid, (p) => !!(p.notify || p.indicate))
      if (write && notify) return { serviceId, writeId: write.uuid, notifyId: notify.uuid }
    }
    throw err('INCOMPATIBLE')
  }

  private orderServices(present: string[]): string[] {
    if (this.o.serviceUuids.length) {
      const out: string[] = []
      for (const want of this.o.serviceUuids) {
        const got = present.find((p) => sameUuid(p, want))
        if (got) out.push(got)
      }
      return out
    }
    const serial = SERIAL_SERVICES.map((s) => present.find((p) => sameUuid(p, s))).filter((s): s is string => !!s)
    const rest = present.filter((p) => !serial.includes(p) && !isSigService(p))
    return [...serial, ...rest]
  }
}

function pick(
  chars: Characteristic[],
  wanted: string | undefined,
  can: (p: Characteristic['properties']) => boolean,
): Characteristic | undefined {
  if (wanted) return chars.find((c) => sameUuid(c.uuid, wanted) && can(c.properties || {}))
  return chars.find((c) => can(c.properties || {}))
}
