/**
 * Signers whose keys stay in a key store: `Pkcs11Signer` (an HSM over PKCS#11; SoftHSM2 in development)
 * and `AwsKmsSigner` (AWS KMS), both ethers v6 Signers that any SDK client accepts. Their dependencies
 * (`pkcs11js`, `@aws-sdk/client-kms`) are optional peer dependencies, loaded only when a signer of that
 * kind is opened: this entry point itself needs neither.
 */
export { DigestSigner, SECP256K1_N, parseDerSignature, parseRawSignature, publicKeyFromEcPoint, publicKeyFromSpki, toEthereumSignature } from "./ecdsa";
export type { RawSignature } from "./ecdsa";
export { readPin, describePinSource } from "./pin";
export type { PinSource } from "./pin";
export { Pkcs11Signer, SOFTHSM2_MODULE, defaultPkcs11Module, generatePkcs11Key } from "./pkcs11";
export type { GeneratePkcs11KeyOptions, GeneratedPkcs11Key, Pkcs11KeySelector, Pkcs11SignerOptions } from "./pkcs11";
export { AwsKmsSigner } from "./kms";
export type { AwsKmsSignerOptions, KmsClientLike, KmsClientSettings } from "./kms";
export * from "./errors";
