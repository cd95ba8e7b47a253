/**
 * The BLE card reader (utils/bluetooth/ble-reader.ts) against a fake `wx` BLE
 * API and a fake reader that answers GA 467 commands with frames, and can split
 * its notifications, drop the connection or stay silent. Time is jest's fake
 * clock: timeouts are reached by advancing it, never by waiting.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { installWx, type WxMock } from './wx-mock'
import { BleCardReader, bleError, type BleReaderOptions } from '../miniprogram/utils/bluetooth/ble-reader'
import { CardReaderError, NoReaderError } from '../miniprogram/utils/bluetooth/reader-errors'
import { cardReader, installBluetoothReader, setCardReader } from '../miniprogram/utils/card-reader'
import { rng } from './rng'

// --- frames, built by hand --------------------------------------------------------

function frame(sw3: number, data: ArrayLike<number> = []): Uint8Array {
  const len = 3 + data.length + 1
  const body = [len >> 8, len & 0xff, 0, 0, sw3, ...Array.from(data)]
  return Uint8Array.from([0xaa, 0xaa, 0xaa, 0x96, 0x69, ...body, body.reduce((a, b) => a ^ b, 0)])
}

function textBlock(fields: [string, number][]): Uint8Array {
  const s = fields.map(([v, n]) => v.padEnd(n, ' ')).join('').padEnd(128, ' ')
  return Uint8Array.from(Buffer.from(s, 'utf16le'))
}

const card = (name: string, id: string, until: string) =>
  textBlock([
    [name, 15], ['1', 1], ['01', 2], ['19491231', 8], ['北京市东城区景山前街4号', 35], [id, 18],
    ['北京市公安局东城分局', 15], ['20200101', 8], [until, 8],
  ])

const ZHANG = card('张三', '11010519491231002X', '20400101')

function baseInfo(text: Uint8Array): Uint8Array {
  return Uint8Array.from([0x01, 0x00, 0x04, 0x00, ...text, ...new Uint8Array(1024).fill(0x5a)])
}


// --- the fake BLE world -------------------------------------------------------------

const SERIAL = '0000FFE0-0000-1000-8000-00805F9B34FB'
const SERIAL_RW = '0000FFE1-0000-1000-8000-00805F9B34FB'
const DEVICE_INFO = '0000180A-0000-1000-8000-00805F9B34FB'
const OTA = '0000FF00-0000-1000-8000-00805F9B34FB'

type Cmd = 'find' | 'select' | 'read' | 'other'
/** What the reader does with a command: answer (a frame), stay silent, or drop the link (after some chunks). */
type Reaction = Uint8Array | 'silent' | { dropAfterChunks: number; frame: Uint8Array }

interface Props {
  read: boolean
  write: boolean
  writeNoResponse: boolean
  writeDefault: boolean
  notify: boolean
  indicate: boolean
}

interface FakeService {
  uuid: string
  chars: { uuid: string; properties: Partial<Props> }[]
}

class FakeReader {
  deviceId = 'C8:47:8C:00:00:01'
  name = 'IDCARD-READER'
  reachable = true
  services: FakeService[] = [
    { uuid: DEVICE_INFO, chars: [{ uuid: '00002A29-0000-1000-8000-00805F9B34FB', properties: { read: true } }] },
    { uuid: SERIAL, chars: [{ uuid: SERIAL_RW, properties: { write: true, writeNoResponse: true, notify: true } }] },
  ]
  /** The card on the reader (null: none); `placedAfterFinds` find commands fail first. */
  card: Uint8Array | null = ZHANG
  placedAfterFinds = 0
  /** Per-command override; undefined: behave like a reader. */
  script: (cmd: Cmd, n: number) => Reaction | undefined = () => undefined
  /** Notification chunk sizes. */
  chunk: () => number = () => 20
  received: Cmd[] = []
  private buf: number[] = []
  private counts: Record<Cmd, number> = { find: 0, select: 0, read: 0, other: 0 }

  /** Bytes written to the reader; returns the reaction once a whole command is in. */
  receive(bytes: Uint8Array): Reaction | null {
    this.buf.push(...bytes)
    if (this.buf.length < 7) return null
    const len = (this.buf[5] << 8) | this.buf[6]
    if (this.buf.length < 7 + len) return null
    const f = this.buf.splice(0, 7 + len)
    const chk = f.slice(5, -1).reduce((a, b) => a ^ b, 0)
    if (chk !== f[f.length - 1]) return frame(0x10)
    const cmd: Cmd = f[7] === 0x20 && f[8] === 0x01 ? 'find' : f[7] === 0x20 && f[8] === 0x02 ? 'select' : f[7] === 0x30 && f[8] === 0x01 ? 'read' : 'other'
    this.received.push(cmd)
    const n = ++this.counts[cmd]
    const scripted = this.script(cmd, n)
    if (scripted) return scripted
    const present = this.card && this.counts.find > this.placedAfterFinds
    switch (cmd) {
      case 'find':
        return present ? frame(0x9f, [0, 0, 0, 0]) : frame(0x80)
      case 'select':
        return present ? frame(0x90, new Array(8).fill(0)) : frame(0x81)
      case 'read':
        return present && this.card ? frame(0x90, baseInfo(this.card)) : frame(0x41)
      default:
        return frame(0x21)
    }
  }
}

interface Fail {
  errCode?: number
  errMsg: string
  state?: number
}

class FakeBle {
  readers: FakeReader[] = []
  /** Other devices around (headphones, a watch…). */
  others: { deviceId: string; name: string }[] = [{ deviceId: '11:22:33:44:55:66', name: 'AirPods' }]
  adapterFail: Fail | null = null
  scanFail: Fail | null = null
  calls: string[] = []
  writes: { deviceId: string; characteristicId: string; length: number }[] = []
  notifyOn: { deviceId: string; serviceId: string; characteristicId: string } | null = null
  connected = new Set<string>()
  private discovering = false
  private found: ((r: { devices: unknown[] }) => void)[] = []
  private values: ((r: { deviceId: string; serviceId: string; characteristicId: string; value: ArrayBuffer }) => void)[] = []
  private states: ((r: { deviceId: string; connected: boolean }) => void)[] = []

  constructor(m: WxMock) {
    const w = m.wx
    const later = (fn: () => void) => void setTimeout(fn, 0)
    const ok = (o: any, res: object = {}) => later(() => { o.success?.({ errMsg: 'ok', ...res }); o.complete?.() })
    const fail = (o: any, e: Fail) => later(() => { o.fail?.(e); o.complete?.() })
    const reader = (id: string) => this.readers.find((r) => r.deviceId === id)
    const log = (name: string) => this.calls.push(name)

    w.openBluetoothAdapter = (o: any) => (log('openBluetoothAdapter'), this.adapterFail ? fail(o, this.adapterFail) : ok(o))
    w.startBluetoothDevicesDiscovery = (o: any) => {
      log('startBluetoothDevicesDiscovery')
      if (this.scanFail) return fail(o, this.scanFail)
      this.discovering = true
      ok(o)
      const around = [...this.others, ...this.readers.map((r) => ({ deviceId: r.deviceId, name: r.name }))]
      around.forEach((d, i) =>
        setTimeout(() => {
          if (!this.discovering) return
          const ad = { ...d, localName: d.name, RSSI: -50 - i, advertisData: new ArrayBuffer(0), advertisServiceUUIDs: [], connectable: true, serviceData: {} }
          this.found.forEach((h) => h({ devices: [ad] }))
        }, 300 * (i + 1)),
      )
    }
    w.stopBluetoothDevicesDiscovery = (o: any) => {
      log('stopBluetoothDevicesDiscovery')
      this.discovering = false
      ok(o)
    }
    w.onBluetoothDeviceFound = (h: any) => void this.found.push(h)
    w.onBLECharacteristicValueChange = (h: any) => void this.values.push(h)
    w.onBLEConnectionStateChange = (h: any) => void this.states.push(h)
    w.createBLEConnection = (o: any) => {
      log(`createBLEConnection ${o.deviceId}`)
      const r = reader(o.deviceId)
      if (!r || !r.reachable) return fail(o, { errCode: 10003, errMsg: 'createBLEConnection:fail connection fail' })
      this.connected.add(o.deviceId)
      ok(o)
    }
    w.closeBLEConnection = (o: any) => {
      log(`closeBLEConnection ${o.deviceId}`)
      this.connected.delete(o.deviceId)
      ok(o)
    }
    w.getBLEDeviceServices = (o: any) => {
      const r = reader(o.deviceId)
      if (!r || !this.connected.has(o.deviceId)) return fail(o, { errCode: 10006, errMsg: 'getBLEDeviceServices:fail no connection' })
      ok(o, { services: r.services.map((s) => ({ uuid: s.uuid, isPrimary: true })) })
    }
    w.getBLEDeviceCharacteristics = (o: any) => {
      const s = reader(o.deviceId)?.services.find((x) => x.uuid === o.serviceId)
      if (!s) return fail(o, { errCode: 10004, errMsg: 'getBLEDeviceCharacteristics:fail no service' })
      const none: Props = { read: false, write: false, writeNoResponse: false, writeDefault: false, notify: false, indicate: false }
      ok(o, { characteristics: s.chars.map((c) => ({ uuid: c.uuid, properties: { ...none, ...c.properties } })) })
    }
    w.notifyBLECharacteristicValueChange = (o: any) => {
      log('notifyBLECharacteristicValueChange')
      this.notifyOn = { deviceId: o.deviceId, serviceId: o.serviceId, characteristicId: o.characteristicId }
      ok(o)
    }
    w.writeBLECharacteristicValue = (o: any) => {
      const r = reader(o.deviceId)
      if (!r || !this.connected.has(o.deviceId)) return fail(o, { errCode: 10006, errMsg: 'writeBLECharacteristicValue:fail no connection' })
      const bytes = new Uint8Array(o.value)
      this.writes.push({ deviceId: o.deviceId, characteristicId: o.characteristicId, length: bytes.length })
      if (bytes.length > 20) return fail(o, { errCode: 10008, errMsg: 'writeBLECharacteristicValue:fail data too long' })
      ok(o)
      const reaction = r.receive(bytes)
      if (reaction) later(() => this.react(r, reaction))
    }
  }

  /** The reader loses the link (powered off, out of range). */
  drop(r: FakeReader): void {
    this.connected.delete(r.deviceId)
    this.states.forEach((h) => h({ deviceId: r.deviceId, connected: false }))
  }

  private react(r: FakeReader, reaction: Reaction): void {
    if (reaction === 'silent') return
    const f = reaction instanceof Uint8Array ? reaction : reaction.frame
    const limit = reaction instanceof Uint8Array ? Infinity : reaction.dropAfterChunks
    const n = this.notifyOn
    if (!n || n.deviceId !== r.deviceId) return
    let sent = 0
    for (let at = 0; at < f.length; sent++) {
      if (sent === limit) return void setTimeout(() => this.drop(r), 0)
      const size = Math.max(1, r.chunk())
      const value = f.slice(at, at + size).buffer
      at += size
      setTimeout(() => this.values.forEach((h) => h({ ...n, value })), 0)
    }
  }
}

// --- driving promises under fake timers -----------------------------------------------

type Outcome<T> = { value: T } | { error: any } | { pending: true }

async function outcome<T>(p: Promise<T>, maxMs = 60_000): Promise<Outcome<T>> {
  let r: Outcome<T> | null = null
  p.then(
    (value) => (r = { value }),
    (error) => (r = { error }),
  )
  for (let t = 0; t < maxMs && !r; t += 50) await jest.advanceTimersByTimeAsync(50)
  return r ?? { pending: true }
}

async function value<T>(p: Promise<T>): Promise<T> {
  const r = await outcome(p)
  if ('value' in r) return r.value
  throw new Error(`expected a value, got ${'error' in r ? r.error : 'nothing (still pending)'}`)
}

async function failure(p: Promise<unknown>): Promise<CardReaderError> {
  const r = await outcome(p)
  if ('error' in r) {
    expect(r.error).toBeInstanceOf(CardReaderError)
    return r.error
  }
  throw new Error(`expected an error, got ${'value' in r ? JSON.stringify(r.value) : 'nothing (still pending)'}`)
}

let m: WxMock
let ble: FakeBle
let dev: FakeReader

beforeEach(() => {
  jest.useFakeTimers()
  m = installWx()
  ble = new FakeBle(m)
  dev = new FakeReader()
  ble.readers.push(dev)
})
afterEach(() => {
  jest.useRealTimers()
  setCardReader(null)
})

const newReader = (o: BleReaderOptions = {}) => new BleCardReader(o)
const ZHANG_FIELDS = { kind: 'id_card', fields: { name: '张三', id_number: '11010519491231002X', valid_until: '2040-01-01' } }

describe('reading an ID card', () => {
  it('discovers the reader, finds, selects and reads the card, and remembers the reader', async () => {
    const got = await value(newReader().read('id_card'))
    expect(got).toEqual(ZHANG_FIELDS)
    expect(dev.received).toEqual(['find', 'select', 'read'])
    // the reader, not the headphones; discovery stopped once it was found
    expect(ble.calls).toContain(`createBLEConnection ${dev.deviceId}`)
    expect(ble.calls.some((c) => c.includes('11:22:33:44:55:66'))).toBe(false)
    expect(ble.calls).toContain('stopBluetoothDevicesDiscovery')
    // the serial service, not device information; commands in ≤20-byte writes to its characteristic
    expect(ble.notifyOn).toEqual({ deviceId: dev.deviceId, serviceId: SERIAL, characteristicId: SERIAL_RW })
    expect(ble.writes.every((w) => w.length <= 20 && w.characteristicId === SERIAL_RW)).toBe(true)
    expect(JSON.parse(m.storage.get('card_reader_ble_device')!)).toEqual({ deviceId: dev.deviceId, name: 'IDCARD-READER' })
  })

  it('reassembles answers split into notifications of any size (seeded)', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = rng(seed)
      dev.chunk = () => 1 + Math.floor(next() * 30)
      const r = newReader()
      expect(await value(r.read('id_card'))).toEqual(ZHANG_FIELDS)
      r.close()
    }
  })

  it('sends 长期 for a card valid for life, and leaves out a validity that is not a date', async () => {
    dev.card = card('李四', '440524188001010014', '长期')
    const r = newReader()
    expect(await value(r.read('id_card'))).toEqual({ kind: 'id_card', fields: { name: '李四', id_number: '440524188001010014', valid_until: '长期' } })
    dev.card = card('李四', '440524188001010014', '20401340')
    expect(await value(r.read('id_card'))).toEqual({ kind: 'id_card', fields: { name: '李四', id_number: '440524188001010014' } })
  })

  it('keeps the connection for the next read', async () => {
    const r = newReader()
    await value(r.read('id_card'))
    await value(r.read('id_card'))
    expect(ble.calls.filter((c) => c.startsWith('createBLEConnection'))).toHaveLength(1)
    expect(dev.received).toEqual(['find', 'select', 'read', 'find', 'select', 'read'])
  })

  it('connects to the remembered reader without searching', async () => {
    m.storage.set('card_reader_ble_device', JSON.stringify({ deviceId: dev.deviceId, name: 'IDCARD-READER' }))
    expect(await value(newReader().read('id_card'))).toEqual(ZHANG_FIELDS)
    expect(ble.calls).not.toContain('startBluetoothDevicesDiscovery')
  })

  it('searches again when the remembered reader is gone', async () => {
    m.storage.set('card_reader_ble_device', JSON.stringify({ deviceId: 'AA:AA:AA:AA:AA:AA' }))
    expect(await value(newReader().read('id_card'))).toEqual(ZHANG_FIELDS)
    expect(ble.calls).toContain('startBluetoothDevicesDiscovery')
    expect(JSON.parse(m.storage.get('card_reader_ble_device')!).deviceId).toBe(dev.deviceId)
  })

  it('reconnects once when the kept connection died unnoticed', async () => {
    const r = newReader()
    await value(r.read('id_card'))
    ble.connected.delete(dev.deviceId) // gone without a state event
    expect(await value(r.read('id_card'))).toEqual(ZHANG_FIELDS)
    expect(ble.calls.filter((c) => c.startsWith('createBLEConnection'))).toHaveLength(2)
  })

  it('reconnects when the reader went away between reads', async () => {
    const r = newReader()
    await value(r.read('id_card'))
    ble.drop(dev)
    expect(await value(r.read('id_card'))).toEqual(ZHANG_FIELDS)
    expect(ble.calls.filter((c) => c.startsWith('createBLEConnection'))).toHaveLength(2)
  })

  it('waits for a card placed a moment late (find is polled)', async () => {
    dev.placedAfterFinds = 2
    expect(await value(newReader().read('id_card'))).toEqual(ZHANG_FIELDS)
    expect(dev.received).toEqual(['find', 'find', 'find', 'select', 'read'])
  })

  it('uses the configured service and characteristics when a vendor has several candidates', async () => {
    const W = '0000FF01-0000-1000-8000-00805F9B34FB'
    const N = '0000FF02-0000-1000-8000-00805F9B34FB'
    dev.services = [
      { uuid: SERIAL, chars: [{ uuid: SERIAL_RW, properties: { write: true, notify: true } }] }, // e.g. a config channel
      { uuid: OTA, chars: [{ uuid: W, properties: { writeNoResponse: true } }, { uuid: N, properties: { indicate: true } }] },
    ]
    dev.name = 'XYZ-100'
    const r = newReader({ serviceUuids: ['ff00'], writeCharacteristicUuid: 'FF01', notifyCharacteristicUuid: 'ff02', namePattern: /^XYZ-/ })
    expect(await value(r.read('id_card'))).toEqual(ZHANG_FIELDS)
    expect(ble.notifyOn).toEqual({ deviceId: dev.deviceId, serviceId: OTA, characteristicId: N })
    expect(ble.writes.every((w) => w.characteristicId === W)).toBe(true)
  })

  it('without configuration takes the first non-standard service with write and notify', async () => {
    const W = '0000FF01-0000-1000-8000-00805F9B34FB'
    dev.services = [
      { uuid: DEVICE_INFO, chars: [{ uuid: '00002A29-0000-1000-8000-00805F9B34FB', properties: { read: true, write: true, notify: true } }] },
      { uuid: OTA, chars: [{ uuid: W, properties: { write: true, notify: true } }] },
    ]
    expect(await value(newReader().read('id_card'))).toEqual(ZHANG_FIELDS)
    expect(ble.notifyOn?.serviceId).toBe(OTA)
  })

  it('writes in smaller chunks when told to', async () => {
    await value(newReader({ chunkSize: 4 }).read('id_card'))
    expect(Math.max(...ble.writes.map((w) => w.length))).toBe(4)
  })
})

describe('what the clerk is told when reading fails', () => {
  it('Bluetooth off', async () => {
    ble.adapterFail = { errCode: 10001, errMsg: 'openBluetoothAdapter:fail not available' }
    expect((await failure(newReader().read('id_card'))).message).toMatch(/请打开手机蓝牙/)
  })

  it('Bluetooth off on iOS (state 4)', async () => {
    ble.adapterFail = { errCode: 10001, errMsg: 'openBluetoothAdapter:fail', state: 4 }
    expect((await failure(newReader().read('id_card'))).code).toBe('BLUETOOTH_OFF')
  })

  it('permission denied', async () => {
    ble.adapterFail = { errMsg: 'openBluetoothAdapter:fail auth deny' }
    const e = await failure(newReader().read('id_card'))
    expect(e.code).toBe('BLUETOOTH_DENIED')
    expect(e.message).toMatch(/允许微信使用蓝牙/)
  })

  it('permission denied on iOS (state 3)', async () => {
    ble.adapterFail = { errCode: 10001, errMsg: 'openBluetoothAdapter:fail', state: 3 }
    expect((await failure(newReader().read('id_card'))).code).toBe('BLUETOOTH_DENIED')
  })

  it('Android without location', async () => {
    ble.scanFail = { errCode: 10008, errMsg: 'startBluetoothDevicesDiscovery:fail location permission is denied' }
    expect((await failure(newReader().read('id_card'))).message).toMatch(/请打开手机定位/)
  })

  it('privacy guide not agreed', async () => {
    ble.adapterFail = { errMsg: 'openBluetoothAdapter:fail privacy permission is not authorized' }
    expect((await failure(newReader().read('id_card'))).message).toMatch(/隐私保护指引/)
  })

  it('no reader nearby: NoReaderError, after the search time and not before', async () => {
    ble.readers = []
    const p = newReader({ scanTimeoutMs: 8000 }).read('id_card')
    const early = await outcome(p, 7900)
    expect(early).toEqual({ pending: true })
    const e = await failure(p)
    expect(e).toBeInstanceOf(NoReaderError)
    expect(e.name).toBe('NoReaderError')
    expect(e.message).toMatch(/未找到蓝牙读卡器.*拍照识别或手工录入/)
    expect(ble.calls).toContain('stopBluetoothDevicesDiscovery')
  })

  it('no runtime Bluetooth at all: NoReaderError', async () => {
    delete m.wx.openBluetoothAdapter
    expect(await failure(newReader().read('id_card'))).toBeInstanceOf(NoReaderError)
  })

  it('the reader does not connect', async () => {
    dev.reachable = false
    const e = await failure(newReader().read('id_card'))
    expect(e.code).toBe('CONNECT_FAILED')
    expect(e.message).toMatch(/连接读卡器失败/)
  })

  it('no card on the reader, after polling find', async () => {
    dev.card = null
    const e = await failure(newReader({ findAttempts: 4 }).read('id_card'))
    expect(e.code).toBe('NO_CARD')
    expect(e.message).toMatch(/请将身份证放在读卡器上/)
    expect(dev.received).toEqual(['find', 'find', 'find', 'find'])
  })

  it('the card moved between find and select', async () => {
    dev.script = (cmd) => (cmd === 'select' ? frame(0x81) : undefined)
    expect((await failure(newReader().read('id_card'))).message).toMatch(/未能选中身份证/)
  })

  it('the card was taken away during the read', async () => {
    dev.script = (cmd) => (cmd === 'read' ? frame(0x41) : undefined)
    expect((await failure(newReader().read('id_card'))).message).toMatch(/读完之前不要拿开/)
  })

  it('a corrupted answer (bad checksum)', async () => {
    dev.script = (cmd) => {
      if (cmd !== 'read') return undefined
      const f = frame(0x90, baseInfo(ZHANG))
      f[700] ^= 0x40
      return f
    }
    const e = await failure(newReader().read('id_card'))
    expect(e.code).toBe('CHECKSUM')
    expect(e.message).toMatch(/校验失败/)
  })

  it('the link drops in the middle of the read answer', async () => {
    dev.script = (cmd) => (cmd === 'read' ? { dropAfterChunks: 10, frame: frame(0x90, baseInfo(ZHANG)) } : undefined)
    const r = newReader()
    const e = await failure(r.read('id_card'))
    expect(e.code).toBe('DISCONNECTED')
    expect(e.message).toMatch(/连接已断开/)
    // the next read connects afresh and works
    dev.script = () => undefined
    expect(await value(r.read('id_card'))).toEqual(ZHANG_FIELDS)
  })

  it('the reader never answers: times out after 5 s per command, not before', async () => {
    dev.script = (cmd) => (cmd === 'select' ? 'silent' : undefined)
    const r = newReader()
    const p = r.read('id_card')
    // connected, found the card, select sent: nothing for 4.9 s
    for (let i = 0; i < 20 && !dev.received.includes('select'); i++) await jest.advanceTimersByTimeAsync(50)
    expect(dev.received).toEqual(['find', 'select'])
    expect(await outcome(p, 4900)).toEqual({ pending: true })
    const e = await failure(p)
    expect(e.code).toBe('TIMEOUT')
    expect(e.message).toMatch(/读卡器没有响应/)
    expect(ble.calls).toContain(`closeBLEConnection ${dev.deviceId}`)
  })

  it('a device without a usable data channel is not remembered', async () => {
    dev.services = [{ uuid: DEVICE_INFO, chars: [{ uuid: '00002A29-0000-1000-8000-00805F9B34FB', properties: { read: true } }] }]
    const e = await failure(newReader().read('id_card'))
    expect(e.code).toBe('INCOMPATIBLE')
    expect(e.message).toMatch(/不兼容/)
    expect(m.storage.has('card_reader_ble_device')).toBe(false)
  })

  it('a card the SAM does not recognise', async () => {
    dev.script = (cmd) => (cmd === 'find' ? frame(0x40) : undefined)
    expect((await failure(newReader().read('id_card'))).message).toMatch(/不是二代身份证/)
  })

  it.each([
    [{ errCode: 10007, errMsg: 'notifyBLECharacteristicValueChange:fail property not support' }, 'channel', 'INCOMPATIBLE'],
    [{ errCode: 10004, errMsg: 'getBLEDeviceServices:fail no service' }, 'channel', 'INCOMPATIBLE'],
    [{ errCode: 10009, errMsg: 'openBluetoothAdapter:fail system not support' }, 'adapter', 'UNSUPPORTED'],
    [{ errCode: 10012, errMsg: 'createBLEConnection:fail operate time out' }, 'connect', 'CONNECT_FAILED'],
    [{ errCode: 10006, errMsg: 'writeBLECharacteristicValue:fail no connection' }, 'write', 'DISCONNECTED'],
    [{ errCode: 10008, errMsg: 'writeBLECharacteristicValue:fail system error' }, 'write', 'BLUETOOTH_FAILED'],
  ] as [{ errCode: number; errMsg: string }, Parameters<typeof bleError>[1], string][])('wx failure %j during %s → %s', (e, stage, code) => {
    const mapped = bleError(e, stage)
    expect(mapped.code).toBe(code)
    expect(mapped.message).toMatch(/请/)
  })

  it('social-security cards: this reader reads ID cards only', async () => {
    const e = await failure(newReader().read('ss_card'))
    expect(e.code).toBe('CARD_NOT_SUPPORTED')
    expect(e.message).toMatch(/只能读身份证.*拍照识别社保卡.*手工录入/)
    expect(ble.calls).toEqual([])
  })

  it('a second tap while reading is refused', async () => {
    const r = newReader()
    const first = r.read('id_card')
    const second = await failure(r.read('id_card'))
    expect(second.code).toBe('BUSY')
    expect(await value(first)).toEqual(ZHANG_FIELDS)
  })
})

describe('wiring in utils/card-reader', () => {
  it('defaults to the Bluetooth reader where the BLE API exists', async () => {
    setCardReader(null)
    expect(cardReader()).toBeInstanceOf(BleCardReader)
    expect(await value(cardReader().read('id_card'))).toEqual(ZHANG_FIELDS)
  })

  it('without the BLE API reading says to photograph or type', async () => {
    delete m.wx.openBluetoothAdapter
    setCardReader(null)
    const e = await failure(cardReader().read('id_card'))
    expect(e).toBeInstanceOf(NoReaderError)
    expect(e.message).toMatch(/拍照识别或手工录入/)
  })

  it('installBluetoothReader takes options; setCardReader still installs other vendors', async () => {
    const r = installBluetoothReader({ namePattern: /^NOPE$/, scanTimeoutMs: 1000 })
    expect(cardReader()).toBe(r)
    expect(await failure(cardReader().read('id_card'))).toBeInstanceOf(NoReaderError)
    const other = { read: async () => ZHANG_FIELDS as any }
    setCardReader(other)
    expect(cardReader()).toBe(other)
  })

  it('replacing a Bluetooth reader closes its connection', async () => {
    const r = installBluetoothReader()
    await value(r.read('id_card'))
    setCardReader({ read: async () => ZHANG_FIELDS as any })
    expect(ble.calls).toContain(`closeBLEConnection ${dev.deviceId}`)
  })
})
