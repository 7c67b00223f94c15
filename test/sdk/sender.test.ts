/**
 * The operator client's sending with a plain Wallet: nonces counted locally (back-to-back sends never
 * collide), a rejected send makes the next one read the nonce again, fees follow the refreshed block, and
 * a steady-state withdrawal is one eth_sendRawTransaction.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { BrowserProvider, Transaction, Wallet, type Eip1193Provider } from "ethers";
import { deployVaultFixture, usdt } from "../helpers/fixture";
import { OperatorClient, type WithdrawResult } from "../../sdk/clients";
import { RpcError } from "../../sdk/errors";
import { defaultAccountKey } from "../../bench/sdk-requests";
import { deployBlock } from "./helpers";

/** A provider over the in-process network that records calls (with params) and can refuse the next raw send. */
function provider() {
  const calls: { method: string; params: unknown[] }[] = [];
  const refuse = { next: 0 };
  const eip1193: Eip1193Provider = {
    request: async ({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) => {
      const list = (params ?? []) as unknown[];
      calls.push({ method, params: list });
      if (method === "eth_sendRawTransaction" && refuse.next > 0) {
        refuse.next--;
        throw Object.assign(new Error("injected: connection reset before the node saw it"), { code: -32603 });
      }
      return network.provider.request({ method, params: list });
    },
  };
  return { provider: new BrowserProvider(eip1193, undefined, { cacheTimeout: -1, pollingInterval: 20 }), calls, refuse };
}

const sent = (r: WithdrawResult) => {
  if (!r.sent) throw new Error("expected the withdrawal to be sent");
  return r;
};

const nonceOf = (raw: unknown) => Transaction.from(raw as string).nonce;

describe("SDK OperatorClient sending (plain Wallet)", () => {
  it("sends back to back with consecutive nonces, each withdrawal one eth_sendRawTransaction after the first", async () => {
    const f = await loadFixture(deployVaultFixture);
    const p = provider();
    const wallet = new Wallet(defaultAccountKey(3), p.provider);
    expect(wallet.address).to.equal(f.bot1.address);
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: wallet, fromBlock: await deployBlock(f) });
    const start = await wallet.getNonce("pending");
    const request = { token: f.usdtAddr, to: f.exchange.address, amount: usdt(100) };
    await (await sent(await bot.withdraw(request)).tx).wait(); // the first estimates the gas of this path and token
    p.calls.length = 0;
    const results = await Promise.all([1, 2, 3, 4].map(() => bot.withdraw(request)));
    expect(p.calls.map((c) => c.method)).to.deep.equal(Array(4).fill("eth_sendRawTransaction"));
    expect(p.calls.map((c) => nonceOf(c.params[0]))).to.deep.equal([start + 1, start + 2, start + 3, start + 4]);
    for (const r of results) expect((await sent(r).tx.wait()).status).to.equal("withdrawn");
    await bot.stop();
  });

  it("a send refused before the node saw it is an RpcError; the next send reads the nonce again and reuses it", async () => {
    const f = await loadFixture(deployVaultFixture);
    const p = provider();
    const wallet = new Wallet(defaultAccountKey(3), p.provider);
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: wallet, fromBlock: await deployBlock(f) });
    const request = { token: f.usdtAddr, to: f.exchange.address, amount: usdt(100) };
    const n = await wallet.getNonce("pending");
    p.refuse.next = 1;
    await expect(bot.withdraw(request)).to.be.rejectedWith(RpcError, /injected/);
    expect(bot.available(f.usdtAddr).operatorAvailable).to.equal(usdt(1_000_000)); // the reservation is released
    p.calls.length = 0;
    const r = sent(await bot.withdraw(request));
    expect(p.calls.map((c) => c.method)).to.deep.equal(["eth_getTransactionCount", "eth_sendRawTransaction"]);
    expect(nonceOf(p.calls[1].params[0])).to.equal(n);
    expect((await r.tx.wait()).status).to.equal("withdrawn");
    await bot.stop();
  });

  it("a nonce used behind the client's back: that send fails, the next one resyncs and lands", async () => {
    const f = await loadFixture(deployVaultFixture);
    const p = provider();
    const wallet = new Wallet(defaultAccountKey(3), p.provider);
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: wallet, fromBlock: await deployBlock(f) });
    const request = { token: f.usdtAddr, to: f.exchange.address, amount: usdt(100) };
    await (await sent(await bot.withdraw(request)).tx).wait();
    // Another process with the same key (what the docs say not to do) takes the next nonce.
    await (await f.bot1.sendTransaction({ to: f.bot1.address, value: 0n })).wait();
    await expect(bot.withdraw(request)).to.be.rejectedWith(RpcError, /nonce/i);
    const r = sent(await bot.withdraw(request));
    expect((await r.tx.wait()).status).to.equal("withdrawn");
    await bot.stop();
  });

  it("fees follow the block each refresh reads: maxFeePerGas = 2 * baseFee + priority fee", async () => {
    const f = await loadFixture(deployVaultFixture);
    const p = provider();
    const wallet = new Wallet(defaultAccountKey(3), p.provider);
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: wallet, fromBlock: await deployBlock(f) });
    const request = { token: f.usdtAddr, to: f.exchange.address, amount: usdt(100) };
    await network.provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x" + (7n * 10n ** 9n).toString(16)]);
    await network.provider.send("evm_mine", []);
    await bot.refresh();
    const priority = BigInt((await network.provider.send("eth_maxPriorityFeePerGas", [])) as string);
    p.calls.length = 0;
    await (await sent(await bot.withdraw(request)).tx).wait();
    const tx = Transaction.from(p.calls.find((c) => c.method === "eth_sendRawTransaction")!.params[0] as string);
    expect(tx.maxFeePerGas).to.equal(2n * 7n * 10n ** 9n + priority);
    expect(tx.maxPriorityFeePerGas).to.equal(priority);
    expect(tx.chainId).to.equal(31337n);
    await bot.stop();
  });
});
