/**
 * The GA 467 codec (utils/bluetooth/ga467.ts) against hand-built frames. The
 * builders here are written independently of the codec (Node's Buffer does the
 * UCS-2 encoding), and the fixed byte strings are the exchanges published by
 * reader vendors and in open-source readers (see the header of ga467.ts).
 */
import { describe, expect, it } from '@jest/globals'
import {
  FIND_CARD,
  FrameAssembler,
  READ_BASE_INFO,
  SELECT_CARD,
  decodeBaseInfo,
  decodeResponse,
  encodeCommand,
  statusError,
  ucs2le,
  type Assembled,
} from '../miniprogram/utils/bluetooth/ga467'
import { CardReaderError } from '../miniprogram/utils/bluetooth/reader-errors'
import { rng } from './rng'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase()
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'))

/** A response frame built by hand: preamble, length, SW1-3, data, XOR checksum. */
function frame(sw3: number, data: ArrayLike<number> = [], sw1 = 0, sw2 = 0): Uint8Array {
  const len = 3 + data.length + 1
  const body = [len >> 8, len & 0xff, sw1, sw2, sw3, ...Array.from(data)]
  return Uint8Array.from([0xaa, 0xaa, 0xaa, 0x96, 0x69, ...body, body.reduce((a, b) => a ^ b, 0)])
}

/** The 256-byte text block: each field space-padded to its width in characters, UCS-2LE. */
function textBlock(fields: [string, number][]): Uint8Array {
  let s = ''
  for (const [v, n] of fields) {
    if (v.length > n) throw new Error(`field too long: ${v}`)
    s += v.padEnd(n, ' ')
  }
  s = s.padEnd(128, ' ')
  const b = Buffer.from(s, 'utf16le')
  expect(b.length).toBe(256)
  return Uint8Array.from(b)
}

const RESIDENT: [string, number][] = [
  ['欧阳娜娜', 15], // name
  ['2', 1], // gender
  ['01', 2], // nation
  ['19491231', 8], // birth
  ['北京市朝阳区建国路1号院2号楼3单元401', 35], // address
  ['11010519491231002X', 18], // number (GB 11643's own example)
  ['北京市公安局朝阳分局', 15], // authority
  ['20200101', 8],
  ['20400101', 8],
]

/** Data of a 30 01 answer: text length 256, photo length 1024, text, photo. */
function baseInfoData(text: Uint8Array, photo: Uint8Array = new Uint8Array(1024).fill(0x5a)): Uint8Array {
  return Uint8Array.from([0x01, 0x00, photo.length >> 8, photo.length & 0xff, ...text, ...photo])
}


function chunksOf(stream: Uint8Array, next: () => number, max: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < stream.length; ) {
    const n = 1 + Math.floor(next() * max)
    out.push(stream.slice(at, at + n))
    at += n
  }
  return out
}

const frames = (got: Assembled[]) => got.map((a) => (a.ok ? a.frame : a.error))

describe('command frames', () => {
  it('find, select and read are the byte strings readers document', () => {
    expect(hex(encodeCommand(FIND_CARD))).toBe('AAAAAA96690003200122')
    expect(hex(encodeCommand(SELECT_CARD))).toBe('AAAAAA96690003200221')
    expect(hex(encodeCommand(READ_BASE_INFO))).toBe('AAAAAA96690003300132')
  })

  it('a command with data: the length counts it, the checksum covers it', () => {
    // "set the maximum RF frame" (61 FF, data 50), as sent by an open-source Linux reader
    expect(hex(encodeCommand({ cmd: 0x61, para: 0xff }, Uint8Array.of(0x50)))).toBe('AAAAAA9669000461FF50CA')
  })
})

describe('response frames', () => {
  it('decodes the published find-card and select-card answers', () => {
    const found = decodeResponse(bytes('AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97'))
    expect(found).toEqual({ sw1: 0, sw2: 0, sw3: 0x9f, data: new Uint8Array(4) })
    const selected = decodeResponse(bytes('AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C'))
    expect(selected.sw3).toBe(0x90)
    expect(selected.data.length).toBe(8)
  })

  it('decodes a published read failure and names it', () => {
    const r = decodeResponse(bytes('AA AA AA 96 69 00 04 00 00 41 45'))
    expect(r.sw3).toBe(0x41)
    expect(r.data.length).toBe(0)
    expect(statusError(r).message).toMatch(/读取身份证失败/)
  })

  it('our hand-built read answer has the header of the published 1295-byte answer', () => {
    const f = frame(0x90, baseInfoData(textBlock(RESIDENT)))
    expect(f.length).toBe(1295)
    expect(hex(f.slice(0, 14))).toBe('AAAAAA966905080000900100' + '0400')
  })

  it('decodes the text of a resident ID card and ignores the photo', () => {
    const r = decodeResponse(frame(0x90, baseInfoData(textBlock(RESIDENT))))
    expect(r.sw3).toBe(0x90)
    expect(decodeBaseInfo(r.data)).toEqual({
      kind: 'resident',
      name: '欧阳娜娜',
      englishName: '',
      genderCode: '2',
      nation: '01',
      birthDate: '19491231',
      address: '北京市朝阳区建国路1号院2号楼3单元401',
      idNumber: '11010519491231002X',
      issuer: '北京市公安局朝阳分局',
      validFrom: '20200101',
      validUntil: '20400101',
      permitNumber: '',
    })
  })

  it('a card valid for life reads 长期', () => {
    const text = textBlock([...RESIDENT.slice(0, 8), ['长期', 8]])
    expect(decodeBaseInfo(baseInfoData(text)).validUntil).toBe('长期')
  })

  it('a name filling all 15 characters keeps every character', () => {
    const long = '阿卜杜热合曼·买买提依明江阿不都'.slice(0, 15)
    const text = textBlock([[long, 15], ...RESIDENT.slice(1)])
    expect(decodeBaseInfo(baseInfoData(text)).name).toBe(long)
  })

  it('a Hong Kong/Macao/Taiwan residence permit (J) uses the resident layout plus its permit number', () => {
    const text = textBlock([
      ['陈大文', 15], ['1', 1], ['  ', 2], ['19800101', 8], ['', 35], ['810000198001010019', 18],
      ['公安部', 15], ['20200101', 8], ['20250101', 8], ['H12345678', 9], ['01', 2], ['', 3], ['J', 1],
    ])
    const t = decodeBaseInfo(baseInfoData(text))
    expect(t.kind).toBe('hmt_residence_permit')
    expect(t.idNumber).toBe('810000198001010019')
    expect(t.permitNumber).toBe('H12345678')
    expect(t.name).toBe('陈大文')
  })

  it('a 2023 foreign permanent residence card (Y): Chinese name, or the English name when there is none', () => {
    const fields = (cn: string): [string, number][] => [
      [cn, 15], ['1', 1], ['00', 2], ['19800101', 8], ['SMITH, JOHN ALEXANDER', 35], ['933000198001010017', 18],
      ['', 15], ['20230101', 8], ['20330101', 8], ['', 11], ['USA', 3], ['Y', 1],
    ]
    const withCn = decodeBaseInfo(baseInfoData(textBlock(fields('史密斯'))))
    expect(withCn).toMatchObject({ kind: 'foreign_permanent_2023', name: '史密斯', englishName: 'SMITH, JOHN ALEXANDER', nation: 'USA', idNumber: '933000198001010017', validUntil: '20330101' })
    expect(decodeBaseInfo(baseInfoData(textBlock(fields('')))).name).toBe('SMITH, JOHN ALEXANDER')
  })

  it('a 2017 foreign permanent residence card (I) has its own layout', () => {
    const text = textBlock([
      ['SMITH, JOHN', 60], ['1', 1], ['USA110080010112', 15], ['USA', 3], ['史密斯', 15],
      ['20170101', 8], ['20270101', 8], ['19800101', 8], ['01', 2], ['1100', 4], ['I', 1],
    ])
    expect(decodeBaseInfo(baseInfoData(text))).toMatchObject({
      kind: 'foreign_permanent', name: '史密斯', englishName: 'SMITH, JOHN', idNumber: 'USA110080010112',
      birthDate: '19800101', validUntil: '20270101', nation: 'USA',
    })
  })

  it('refuses a text block that is short or says it is', () => {
    expect(() => decodeBaseInfo(Uint8Array.of(0x01))).toThrow(CardReaderError)
    const short = baseInfoData(textBlock(RESIDENT)).slice(0, 200)
    expect(() => decodeBaseInfo(short)).toThrow(/不完整/)
    const small = baseInfoData(textBlock(RESIDENT))
    small[0] = 0x00
    small[1] = 0xf0 // says the text is 240 bytes: less than the 256 the layout needs
    expect(() => decodeBaseInfo(small)).toThrow(/不完整/)
  })

  it('ucs2le decodes little-endian code units', () => {
    expect(ucs2le(Uint8Array.of(0x8b, 0x73, 0x20, 0x00, 0x31, 0x00))).toBe('王 1')
  })
})

describe('reassembly from notification chunks', () => {
  const find = bytes('AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97')
  const read = frame(0x90, baseInfoData(textBlock(RESIDENT)))

  it('any chunking of any stream gives back the same frames (seeded, 300 cases)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = rng(seed)
      const junk = Uint8Array.from({ length: Math.floor(next() * 9) }, () => Math.floor(next() * 256))
      const stream = Uint8Array.from([...junk, ...find, ...read])
      const a = new FrameAssembler()
      const got: Assembled[] = []
      for (const c of chunksOf(stream, next, seed % 3 === 0 ? 20 : 64)) got.push(...a.push(c.buffer as ArrayBuffer))
      const out = frames(got)
      expect({ seed, n: out.length }).toEqual({ seed, n: 2 })
      expect(out[0]).toEqual({ sw1: 0, sw2: 0, sw3: 0x9f, data: new Uint8Array(4) })
      expect(out[1]).toEqual({ sw1: 0, sw2: 0, sw3: 0x90, data: read.slice(10, read.length - 1) })
      expect(a.buffered).toBe(0)
    }
  })

  it('20-byte chunks of a read answer: nothing comes out until the last chunk', () => {
    const a = new FrameAssembler()
    const cs = chunksOf(read, () => 19.5 / 20, 20)
    expect(cs.every((c) => c.length === 20 || c === cs[cs.length - 1])).toBe(true)
    cs.slice(0, -1).forEach((c) => expect(a.push(c)).toEqual([]))
    expect(a.push(cs[cs.length - 1])).toHaveLength(1)
  })

  it('a bad checksum is an error, and the next frame still comes through', () => {
    const bad = read.slice()
    bad[500] ^= 0x01
    const a = new FrameAssembler()
    const got = a.push(Uint8Array.from([...bad, ...find]))
    expect(got).toHaveLength(2)
    expect(got[0].ok).toBe(false)
    if (!got[0].ok) {
      expect(got[0].error.code).toBe('CHECKSUM')
      expect(got[0].error.message).toMatch(/校验失败/)
    }
    expect(got[1]).toEqual({ ok: true, frame: { sw1: 0, sw2: 0, sw3: 0x9f, data: new Uint8Array(4) } })
  })

  it('a wrong checksum byte alone is caught too', () => {
    const bad = find.slice()
    bad[bad.length - 1] ^= 0xff
    expect(() => decodeResponse(bad)).toThrow(/校验失败/)
  })

  it('an impossible length is an error and the stream resynchronises', () => {
    const a = new FrameAssembler()
    const got = a.push(Uint8Array.from([...bytes('AA AA AA 96 69 00 02 00 00'), ...find]))
    expect(got.map((g) => (g.ok ? 'frame' : g.error.code))).toEqual(['BAD_FRAME', 'frame'])
  })

  it('a truncated frame is not a frame', () => {
    expect(() => decodeResponse(find.slice(0, 10))).toThrow(/格式不对/)
  })

  it('reset() forgets a half-received frame', () => {
    const a = new FrameAssembler()
    a.push(read.slice(0, 100))
    expect(a.buffered).toBe(100)
    a.reset()
    expect(a.push(find)).toHaveLength(1)
  })
})

describe('status words', () => {
  const table: [number, string, RegExp][] = [
    [0x80, 'NO_CARD', /请将身份证放在读卡器上/],
    [0x81, 'SELECT_FAILED', /未能选中身份证/],
    [0x41, 'READ_FAILED', /读取身份证失败/],
    [0x47, 'READ_FAILED', /读取身份证失败/],
    [0x91, 'NO_CONTENT', /没有读到所需信息/],
    [0x10, 'LINK_ERROR', /指令不完整/],
    [0x11, 'LINK_ERROR', /指令不完整/],
    [0x21, 'COMMAND_REJECTED', /二代身份证阅读器/],
    [0x23, 'COMMAND_REJECTED', /拒绝/],
    [0x24, 'READER_FAULT', /未知错误/],
    [0x31, 'CARD_AUTH_FAILED', /认证失败/],
    [0x32, 'CARD_AUTH_FAILED', /认证失败/],
    [0x33, 'CARD_INVALID', /验证失败/],
    [0x40, 'WRONG_CARD', /不是二代身份证/],
    [0x60, 'READER_FAULT', /自检失败/],
    [0x66, 'READER_FAULT', /未经授权/],
  ]

  it.each(table)('SW3 %p → %s', (sw3, code, message) => {
    const r = decodeResponse(frame(sw3, [], sw3 === 0x41 || sw3 === 0x81 ? 0x6a : 0, sw3 === 0x41 || sw3 === 0x81 ? 0x82 : 0))
    const e = statusError(r)
    expect(e).toBeInstanceOf(CardReaderError)
    expect(e.code).toBe(code)
    expect(e.message).toMatch(message)
    expect(e.message).toMatch(/请/) // says what to do
  })

  it('an undocumented status is reported with its bytes', () => {
    const e = statusError(decodeResponse(frame(0x55, [], 0x6a, 0x82)))
    expect(e.code).toBe('READER_STATUS')
    expect(e.message).toMatch(/6A 82 55/)
  })
})
