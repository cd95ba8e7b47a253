/**
 * Errors of card readers. They live in this leaf module so that adapters
 * (utils/bluetooth/*) and utils/card-reader.ts, which re-exports them, do not
 * import each other.
 *
 * Every message is Chinese and says what the clerk should do next; `code` is a
 * stable UPPER_SNAKE tag for code and tests to switch on.
 */

export class CardReaderError extends Error {
  readonly code: string

  constructor(code: string, message: string) {
    super(message)
    this.name = 'CardReaderError'
    this.code = code
  }
}

/** No reader to read with (none installed, or none found nearby). */
export class NoReaderError extends CardReaderError {
  constructor(message = '未连接读卡器：请改用拍照识别或手工录入') {
    super('NO_READER', message)
    this.name = 'NoReaderError'
  }
}
