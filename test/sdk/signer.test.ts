import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { HDNodeWallet, Mnemonic, SigningKey, getBytes, hexlify, toBeArray, verifyMessage, verifyTypedData } from "ethers";
import { POLICY, deployVaultFixture } from "../helpers/fixture";
import { GuardianClient } from "../../sdk/clients";
import { RemoteKeySigner, parseDerSignature, toEthereumSignature } from "../../sdk/examples/kms-signer";
import { operatorClient } from "./helpers";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** DER `SEQUENCE { INTEGER r, INTEGER s }`, the way a KMS returns an ECDSA signature. */
function der(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint) => {
    let b = toBeArray(v);
    if (b[0] & 0x80) b = new Uint8Array([0, ...b]);
    return [0x02, b.length, ...b];
  };
  const body = [...int(r), ...int(s)];
  return new Uint8Array([0x30, body.length, ...body]);
}

/** A stand-in for a cloud KMS: holds the key, signs digests, answers in DER, half the time with the high s. */
function fakeKms(key: SigningKey) {
  let calls = 0;
  const sign = async (digest: Uint8Array) => {
    calls++;
    const sig = key.sign(digest);
    const s = BigInt(sig.s);
    return der(BigInt(sig.r), calls % 2 === 0 ? N - s : s);
  };
  return { sign, calls: () => calls };
}

/** The key behind a Hardhat default account (the in-process network's standard mnemonic). */
function hardhatKey(index: number): SigningKey {
  const mnemonic = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
  return HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`).signingKey;
}

describe("SDK with a custom Signer (a KMS/HSM stand-in)", () => {
  it("runs the operator client with a signer that never holds the key, only a remote digest signer", async () => {
    const f = await loadFixture(deployVaultFixture);
    const signers = await ethers.getSigners();
    const index = signers.findIndex((s) => s.address === f.bot1.address);
    const kms = fakeKms(hardhatKey(index));
    const remote = new RemoteKeySigner(f.bot1.address, kms.sign, ethers.provider);
    const bot = await operatorClient(f, remote);
    expect(bot.address).to.equal(f.bot1.address);

    for (const amount of [POLICY.usdt.instant, 1n]) {
      const r = await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount });
      if (!r.sent) throw new Error("expected a withdrawal");
      expect((await r.tx.wait()).status).to.equal("withdrawn");
    }
    expect(kms.calls()).to.equal(2); // one low-s and one high-s answer, both normalized
    expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(POLICY.usdt.instant + 1n);
    const held = await bot.withdraw({ token: f.usdtAddr, to: f.attacker.address, amount: 1n });
    expect(held.sent).to.equal(false);
    expect(kms.calls(), "a held-back withdrawal is never signed").to.equal(2);
  });

  it("runs the guardian client, signs messages and typed data, and refuses a key that is not the account's", async () => {
    const f = await loadFixture(deployVaultFixture);
    const signers = await ethers.getSigners();
    const key = hardhatKey(signers.findIndex((s) => s.address === f.guardian.address));
    const remote = new RemoteKeySigner(f.guardian.address, fakeKms(key).sign).connect(ethers.provider);
    await (await new GuardianClient({ vault: f.vaultAddr, signer: remote }).pause()).wait();
    expect(await f.vault.paused()).to.equal(true);

    expect(verifyMessage("hello", await remote.signMessage("hello"))).to.equal(f.guardian.address);
    const domain = { name: "Vault", chainId: 31337 };
    const types = { Note: [{ name: "text", type: "string" }] };
    expect(verifyTypedData(domain, types, { text: "hi" }, await remote.signTypedData(domain, types, { text: "hi" }))).to.equal(f.guardian.address);

    const wrong = new RemoteKeySigner(f.guardian.address, fakeKms(hardhatKey(19)).sign, ethers.provider);
    await expect(wrong.signMessage("x")).to.be.rejectedWith(/does not recover/);
    await expect(remote.signTransaction({ from: f.admin.address, to: f.vaultAddr })).to.be.rejectedWith(/another account/);
  });

  it("parses DER signatures and normalizes them to Ethereum's low-s form", () => {
    const key = hardhatKey(0);
    const digest = getBytes(ethers.id("digest"));
    const sig = key.sign(digest);
    const high = der(BigInt(sig.r), N - BigInt(sig.s));
    expect(parseDerSignature(high)).to.deep.equal({ r: BigInt(sig.r), s: N - BigInt(sig.s) });
    const normalized = toEthereumSignature(digest, parseDerSignature(high), ethers.computeAddress(key.publicKey));
    expect(normalized.s).to.equal(sig.s);
    expect(normalized.v).to.equal(sig.v);
    expect(() => parseDerSignature(new Uint8Array([0x31, 0]))).to.throw(/DER/);
    expect(hexlify(der(1n, 2n))).to.equal("0x3006020101020102");
  });
});
