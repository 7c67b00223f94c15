import { JsonRpcProvider, type Signer } from "ethers";
import { OperatorClient, VaultSdkError, type WithdrawOutcome } from "@guarded-vault/sdk";
import { Pkcs11Signer } from "@guarded-vault/sdk/signers";

type Payment = { token: string; to: string; amount: bigint };

/** The operator key lives in an HSM and never leaves it (`npx hardhat vault:hsm-keygen` made it there). */
export async function openSigner(): Promise<Signer> {
  // The PIN comes from the environment (or `{ file: "/run/secrets/hsm-pin" }`), never from the command line.
  // `AwsKmsSigner.open({ keyId })` is the same for a key in AWS KMS.
  return Pkcs11Signer.open({
    module: process.env.PKCS11_MODULE, // the HSM vendor's library; SoftHSM2's by default
    token: "vault-ops",
    key: { label: "bot-1" },
    pin: { env: "HSM_PIN" },
    provider: new JsonRpcProvider(process.env.RPC_URL),
  });
}

/** Pays as payments come. Any ethers v6 Signer works: the HSM's above, or a plain Wallet. */
export async function runBot(signer: Signer, payments: AsyncIterable<Payment>): Promise<void> {
  const bot = await OperatorClient.create({ vault: process.env.VAULT_ADDRESS ?? "", signer }); // checks vault and key
  bot.start(); // keeps the policy cache (and the fees) fresh from each new block
  const report = (payment: Payment, outcome: WithdrawOutcome) => {
    if (outcome.status === "queued") console.log(`queued #${outcome.id}, executable at ${outcome.eta}`);
    else console.log(`${outcome.status}; ${bot.available(payment.token).amount} more can go out now`);
  };
  const landing: Promise<void>[] = [];
  try {
    for await (const payment of payments) {
      try {
        // One request (eth_sendRawTransaction): the client keeps nonce, fees and gas, so sends never wait on each other.
        const result = await bot.withdraw(payment, { queueIfLarge: true });
        if (!result.sent) {
          // Decided locally and nothing sent: a call that would trip the tripwire never costs us our key.
          const d = result.decision;
          if (d.action === "reject") console.log(`held back (${d.effect}): ${d.error.message}; retry at ${d.retryAt}`);
          continue;
        }
        landing.push(result.tx.wait().then((outcome) => report(payment, outcome), fail));
      } catch (e) {
        fail(e);
      }
    }
    await Promise.all(landing);
  } finally {
    await bot.stop();
  }
}

function fail(e: unknown): void {
  // The chain is the final judge (e.g. other bots used the vault-wide cap): a typed revert or an RpcError.
  if (!(e instanceof VaultSdkError)) throw e;
  console.error(e.name, e.message);
}
