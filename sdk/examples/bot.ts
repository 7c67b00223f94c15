import { JsonRpcProvider } from "ethers";
import { OperatorClient, VaultSdkError } from "guarded-treasury-vault/sdk";
import { Pkcs11Signer } from "guarded-treasury-vault/sdk/signers";

type Payment = { token: string; to: string; amount: bigint };

export async function runBot(payments: AsyncIterable<Payment>): Promise<void> {
  // The operator key lives in an HSM and never leaves it (`npx hardhat vault:hsm-keygen` made it there).
  // The PIN comes from the environment (or `{ file: "/run/secrets/hsm-pin" }`), never from the command line.
  // `AwsKmsSigner.open({ keyId })` is the same for a key in AWS KMS; any ethers v6 Signer works.
  const signer = await Pkcs11Signer.open({
    module: process.env.PKCS11_MODULE, // the HSM vendor's library; SoftHSM2's by default
    token: "vault-ops",
    key: { label: "bot-1" },
    pin: { env: "HSM_PIN" },
    provider: new JsonRpcProvider(process.env.RPC_URL),
  });
  const bot = await OperatorClient.create({
    vault: process.env.VAULT_ADDRESS ?? "",
    signer,
    fromBlock: Number(process.env.VAULT_DEPLOY_BLOCK), // destinations are replayed from the logs
  });
  bot.start(); // keeps the policy cache fresh from the vault's events
  try {
    for await (const payment of payments) {
      try {
        const result = await bot.withdraw(payment, { queueIfLarge: true });
        if (!result.sent) {
          // Decided locally and nothing sent: a call that would trip the tripwire never costs us our key.
          const d = result.decision;
          if (d.action === "reject") console.log(`held back (${d.effect}): ${d.error.message}; retry at ${d.retryAt}`);
          continue;
        }
        const outcome = await result.tx.wait();
        if (outcome.status === "queued") console.log(`queued #${outcome.id}, executable at ${outcome.eta}`);
        else console.log(`${outcome.status}; ${bot.available(payment.token).amount} more can go out now`);
      } catch (e) {
        // The chain is the final judge (e.g. other bots used the vault-wide cap): a typed revert or an RpcError.
        if (!(e instanceof VaultSdkError)) throw e;
        console.error(e.name, e.message);
      }
    }
  } finally {
    await bot.stop();
  }
}
