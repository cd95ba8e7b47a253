/**
 * The counter's Bluetooth ID / social-security card reader. Readers differ by
 * vendor (each ships its own BLE protocol or plugin), so the register page
 * talks to this interface; a vendor adapter installs itself with
 * `setCardReader`. Until one is installed, reading says so plainly.
 */
import type { CardKind, ReaderFields } from '../api/scan'

export interface CardReader {
  read(kind: CardKind): Promise<ReaderFields>
}

export class NoReaderError extends Error {
  constructor() {
    super('未连接读卡器：请改用拍照识别或手工录入')
    this.name = 'NoReaderError'
  }
}

let reader: CardReader = { read: () => Promise.reject(new NoReaderError()) }

export function setCardReader(r: CardReader): void {
  reader = r
}

export function cardReader(): CardReader {
  return reader
}
