/** Things the live tests hand the server: valid ID numbers, a real photo file, a composed sale. */
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { deflateSync } from 'zlib'
import type { Sale } from '../../miniprogram/utils/queue'

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** A resident ID number (GB 11643) of 东城区 with its check digit: `birth` as YYYYMMDD, `seq` 3 digits. */
export function idNumber(birth: string, seq = '123'): string {
  const body = `110101${birth}${seq}`
  const sum = [...body].reduce((n, d, i) => n + Number(d) * WEIGHTS[i], 0)
  return body + '10X98765432'[sum % 11]
}

// The demo catalogue of `yaojian seed-demo`: over-the-counter, no cap of its own.
export const BARCODE_OTC = '6901234560015'

/** A sale as the register page composes it: one line of `quantity` packages. */
export function saleOf(key: string, scanToken: string, quantity: number): Sale {
  return {
    key,
    body: { scan_token: scanToken, items: [{ barcode: BARCODE_OTC, quantity, batch_no: 'B2611' }], client_time: new Date().toISOString() },
    buyer: '张*',
    items: `新康泰克×${quantity}`,
    lines: [],
  }
}

function crc32(bytes: Buffer): number {
  let c = ~0
  for (const b of bytes) {
    c ^= b
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1))
  }
  return ~c >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/** A real RGB PNG on disk, as `wx.chooseMedia` leaves one (the server wants at least 100 px a side). */
export function photoFile(width = 320, height = 240): string {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
  const rows = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set([x % 256, y % 256, 128], y * (width * 3 + 1) + 1 + x * 3)
  }
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yaojian-live-photo-')), 'shelf.png')
  fs.writeFileSync(file, png)
  return file
}
