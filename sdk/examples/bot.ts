import { JsonRpcProvider, Wallet } from "ethers";
import { OperatorClient, VaultSdkError } from "guarded-treasury-vault/sdk";

type Payment = { token: string; to: string; amount: bigint };

export async function runBot(payments: AsyncIterable<Payment>): Promise<void> {
  // Any ethers v6 Signer works: a Wallet here, or a KMS/HSM signer (sdk/examples/kms-signer.ts).
  const signer = new Wallet(process.env.BOT_KEY ?? "", new JsonRpcProvider(process.env.RPC_URL));
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
