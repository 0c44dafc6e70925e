// Minimal typings for the `fernet` package (CommonJS, no bundled types): only what fernet-token.ts uses.
declare module 'fernet' {
  interface FernetSecret {
    signingKeyHex: string
    encryptionKeyHex: string
  }
  interface FernetTokenOptions {
    secret: FernetSecret
    ttl?: number
    token?: string
    time?: Date | string | number
    iv?: number[]
  }
  interface FernetToken {
    encode(message: string): string
    decode(token?: string): string
    setIV(iv?: unknown): string
    ivHex?: string
    iv?: FernetWordArray
  }
  interface FernetWordArray { readonly sigBytes: number }
  interface FernetModule {
    Hex: { parse(hex: string): FernetWordArray }
    Secret: new (secret64: string) => FernetSecret
    Token: new (opts: FernetTokenOptions) => FernetToken
  }
  const fernet: FernetModule
  export default fernet
}
