/**
 * The counter's Bluetooth ID / social-security card reader. Readers differ by
 * vendor, so the register page talks to this interface.
 *
 * By default, where the runtime has the mini-program BLE API, reading goes
 * through the GA 467 Bluetooth adapter (utils/bluetooth/ble-reader.ts), which
 * finds a nearby reader by itself; otherwise reading fails with NoReaderError,
 * whose message sends the clerk to photo or manual entry (so does the adapter
 * when no reader is found). `installBluetoothReader(options)` sets the
 * adapter up for a particular model (service UUIDs, device names, timeouts);
 * a vendor whose reader speaks something else installs itself with
 * `setCardReader`.
 *
 * Reader failures are CardReaderError (NoReaderError is one): their messages
 * are Chinese and say what to do, so show `err.message`.
 */
import type { CardKind, ReaderFields } from '../api/scan'
import { BleCardReader, bluetoothAvailable, type BleReaderOptions } from './bluetooth/ble-reader'
import { NoReaderError } from './bluetooth/reader-errors'

export { CardReaderError, NoReaderError } from './bluetooth/reader-errors'
export type { BleReaderOptions } from './bluetooth/ble-reader'

export interface CardReader {
  read(kind: CardKind): Promise<ReaderFields>
}

const none: CardReader = { read: () => Promise.reject(new NoReaderError()) }

let installed: CardReader | null = null
let defaultBle: BleCardReader | null = null

/** Bluetooth readers being replaced let go of their connections. */
function replace(next: CardReader | null): void {
  if (installed instanceof BleCardReader && installed !== next) installed.close()
  if (defaultBle && defaultBle !== next) {
    defaultBle.close()
    defaultBle = null
  }
  installed = next
}

/** Installs a reader; `null` goes back to the default. */
export function setCardReader(r: CardReader | null): void {
  replace(r)
}

/** Installs the GA 467 Bluetooth adapter with these options and returns it. */
export function installBluetoothReader(options: BleReaderOptions = {}): BleCardReader {
  const r = new BleCardReader(options)
  replace(r)
  return r
}

export function cardReader(): CardReader {
  if (installed) return installed
  if (!bluetoothAvailable()) return none
  if (!defaultBle) defaultBle = new BleCardReader()
  return defaultBle
}
