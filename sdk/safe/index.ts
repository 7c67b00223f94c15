/**
 * Guardians on a Safe: deploying a Safe, signing and executing Safe transactions, and Transaction Builder
 * batch files (build, verify, describe the vault calls inside).
 */
export {
  SAFE_MESSAGE_TYPES,
  SAFE_TX_TYPES,
  deploySafe,
  execSafeTransaction,
  packSignatures,
  safeTransactionHash,
  safeMessageHash,
  safeTypedData,
  signSafeMessage,
  signSafeTransaction,
  toSafeTransaction,
} from "./safe";
export type { SafeTransaction } from "./safe";
export {
  TX_BUILDER_FILE_VERSION,
  TX_BUILDER_VERSION,
  buildTxBuilderBatch,
  decodeMultiSend,
  describeVaultCall,
  execSignedSafeTransaction,
  formatTxBuilderBatch,
  multiSendTransaction,
  safeSigningRequest,
  txBuilderChecksum,
  txBuilderSerialize,
  verifyTxBuilderBatch,
} from "./tx-builder";
export type {
  SafeSigningRequest,
  SafeTypedDataJson,
  TxBuilderBatchFile,
  TxBuilderContractInput,
  TxBuilderContractMethod,
  TxBuilderMeta,
  TxBuilderTransaction,
  TxBuilderVerification,
} from "./tx-builder";
