import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { Contract, ContractFactory, TypedDataEncoder, verifyMessage, verifyTypedData } from "ethers";
import * as pkcs11js from "pkcs11js";
import CompatibilityFallbackHandlerArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json";
import { usdt } from "../helpers/fixture";
import { safeGuardedFixture } from "../guard/helpers";
import { operatorClient } from "../sdk/helpers";
import { GuardianTransactions, InvalidInputError } from "../../sdk/index";
import { execSafeTransaction, packSignatures, signSafeTransaction, toSafeTransaction } from "../../sdk/safe";
import {
  PinUnavailableError,
  Pkcs11KeyExistsError,
  Pkcs11KeyNotFoundError,
  Pkcs11ModuleNotFoundError,
  Pkcs11PinIncorrectError,
  Pkcs11Signer,
  Pkcs11TokenNotFoundError,
  UnsupportedKeyError,
  generatePkcs11Key,
} from "../../sdk/signers";
import { loadPkcs11Module } from "../../sdk/signers/pkcs11-module";
import { expectSignaturesRecover, vaultWithOperatorFixture } from "./helpers";
import { MODULE, createToken, tokenWithKey, type TestToken } from "./softhsm";

const open = (t: TestToken, key = "operator") => Pkcs11Signer.open({ module: MODULE, token: t.label, key: { label: key }, pin: { env: t.pinEnv }, provider: ethers.provider });

/** The token's slot and a fresh logged-in session, straight through pkcs11js (what an attacker on the host could do). */
async function rawSession(t: TestToken) {
  const m = await loadPkcs11Module(MODULE);
  const slot = m.C_GetSlotList(true).find((s) => m.C_GetTokenInfo(s).label.trim() === t.label)!;
  const session = m.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  try {
    m.C_Login(session, pkcs11js.CKU_USER, process.env[t.pinEnv]!);
  } catch (e) {
    if (!/CKR_USER_ALREADY_LOGGED_IN/.test((e as Error).message)) throw e;
  }
  return { m, slot, session };
}

const ckr = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return /CKR_\w+/.exec((e as Error).message)?.[0] ?? (e as Error).message;
  }
  return "CKR_OK";
};

describe("PKCS#11 signer on SoftHSM2", () => {
  let token: Awaited<ReturnType<typeof tokenWithKey>>;
  before(async () => {
    token = await tokenWithKey("operator");
  });

  /** The guardian-Safe fixture, with the HSM key's account funded for gas. */
  async function hsmOwnerFixture() {
    const f = await safeGuardedFixture();
    const address = token.key.address;
    await setBalance(address, 10n ** 20n);
    return { f, address };
  }

  it("derives its address from the public key on the token", async () => {
    const signer = await open(token);
    expect(signer.address).to.equal(token.key.address);
    expect(ethers.computeAddress(token.key.publicKey)).to.equal(token.key.address);
    const byId = await Pkcs11Signer.open({ module: MODULE, token: token.label, key: { id: token.key.id }, pin: { env: token.pinEnv } });
    expect(byId.address).to.equal(token.key.address);
  });

  it("sends an operator's withdrawals through OperatorClient, back to back", async () => {
    const g = await loadFixture(plainVaultWithHsmOperator);
    const signer = await open(token);
    const bot = await operatorClient(g, signer);
    const address = token.key.address;
    expect(bot.address).to.equal(address);
    const amounts = [usdt(100_000), usdt(50_000), 1n, usdt(99_999), 7n];
    const before = await g.usdtToken.balanceOf(g.exchange.address);
    for (const amount of amounts) {
      const r = await bot.withdraw({ token: g.usdtAddr, to: g.exchange.address, amount });
      if (!r.sent) throw new Error(`held back: ${JSON.stringify(r.decision.action)}`);
      expect((await r.tx.wait()).status).to.equal("withdrawn");
    }
    expect(await g.usdtToken.balanceOf(g.exchange.address)).to.equal(before + amounts.reduce((a, b) => a + b, 0n));
    expect(await ethers.provider.getTransactionCount(address)).to.equal(amounts.length);
    // And the policy still binds the HSM key: a destination that is not approved is held back, never signed.
    const held = await bot.withdraw({ token: g.usdtAddr, to: g.attacker.address, amount: 1n });
    expect(held.sent).to.equal(false);
  });

  /** The plain fixture vault with the HSM key as a USDT operator allowed to pay `exchange`. */
  const plainVaultWithHsmOperator = vaultWithOperatorFixture(() => token.key.address);

  it("signs as a guardian Safe owner: Safe transactions and an EIP-712 approval verified on-chain", async () => {
    const { f, address } = await loadFixture(hsmOwnerFixture);
    const signer = await open(token);
    const [ownerA, ownerB] = f.guardianOwners;
    const safe = f.guardianSafe;
    const safeAddr = f.guardianSafeAddr;
    const own = (tx: { to: string; data: string }) => ({ to: tx.to, data: tx.data, value: 0n });

    // Two of the hot owners add the HSM key as an owner; from then on the HSM key and one owner act.
    await execSafeTransaction({ safe, tx: own({ to: safeAddr, data: safe.interface.encodeFunctionData("addOwnerWithThreshold", [address, 2]) }), owners: [ownerA, ownerB] });
    expect(await safe.isOwner(address)).to.equal(true);

    // Set the ERC-1271 handler, signed by the HSM owner (EIP-712 SafeTx) and executed on-chain.
    const handler = await new ContractFactory(CompatibilityFallbackHandlerArtifact.abi, CompatibilityFallbackHandlerArtifact.bytecode, f.admin).deploy();
    const handlerAddr = await handler.getAddress();
    await execSafeTransaction({ safe, tx: own({ to: safeAddr, data: safe.interface.encodeFunctionData("setFallbackHandler", [handlerAddr]) }), owners: [signer, ownerA], executor: ownerA });

    // The HSM owner's signature checks out in the Safe itself, and the pair pauses the vault.
    const pause = new GuardianTransactions(f.vaultAddr).pause();
    const safeTx = toSafeTransaction(pause, await safe.nonce());
    const hsmSig = await signSafeTransaction(signer, { chainId: f.chainId, safe: safeAddr, tx: safeTx });
    const hash = await safe.getTransactionHash(safeTx.to, safeTx.value, safeTx.data, safeTx.operation, safeTx.safeTxGas, safeTx.baseGas, safeTx.gasPrice, safeTx.gasToken, safeTx.refundReceiver, safeTx.nonce);
    expect(ethers.recoverAddress(hash, hsmSig.signature)).to.equal(address);
    await execSafeTransaction({ safe, tx: pause, owners: [signer, ownerB], executor: ownerB });
    expect(await f.vault.paused()).to.equal(true);

    // An EIP-712 approval (the shape a co-signer approves) signed in the HSM, verified by the Safe's ERC-1271.
    const domain = { name: "GuardedVault approvals", version: "1", chainId: f.chainId, verifyingContract: f.vaultAddr };
    const types = { Approval: [{ name: "withdrawal", type: "uint256" }, { name: "amount", type: "uint256" }, { name: "to", type: "address" }] };
    const approval = { withdrawal: 7n, amount: usdt(2_000_000), to: f.exchange.address };
    const approvalHash = TypedDataEncoder.hash(domain, types, approval);
    expect(verifyTypedData(domain, types, approval, await signer.signTypedData(domain, types, approval))).to.equal(address);
    const safeMessage = { domain: { chainId: f.chainId, verifyingContract: safeAddr }, types: { SafeMessage: [{ name: "message", type: "bytes" }] }, value: { message: approvalHash } };
    const sign = async (s: { signTypedData: typeof signer.signTypedData; getAddress(): Promise<string> }) => ({ owner: await s.getAddress(), signature: await s.signTypedData(safeMessage.domain, safeMessage.types, safeMessage.value) });
    const viaHandler = new Contract(safeAddr, CompatibilityFallbackHandlerArtifact.abi, ethers.provider);
    const signatures = packSignatures([await sign(signer), await sign(ownerA)]);
    expect(await viaHandler["isValidSignature(bytes32,bytes)"](approvalHash, signatures)).to.equal("0x1626ba7e");
    // The same signatures do not approve anything else.
    const other = TypedDataEncoder.hash(domain, types, { ...approval, amount: approval.amount + 1n });
    await expect(viaHandler["isValidSignature(bytes32,bytes)"](other, signatures)).to.be.reverted;
  });

  it("signs EIP-191 messages and EIP-712 typed data that ethers recovers to the token's key", async () => {
    const signer = await open(token);
    await expectSignaturesRecover(signer, "attest");
    await expect(signer.signTransaction({ from: ethers.ZeroAddress.replace(/0$/, "1"), to: signer.address })).to.be.rejectedWith(/this key is/);
  });

  it("opens a new session and logs in again when the module closes its session", async () => {
    const signer = await open(token);
    expect(signer.sessionsOpened).to.equal(1);
    const { m, slot } = await rawSession(token);
    m.C_CloseAllSessions(slot); // every session of this application on the token, and with them the login
    expect(verifyMessage("after", await signer.signMessage("after"))).to.equal(signer.address);
    expect(signer.sessionsOpened).to.equal(2);
    // Signatures queued at once all go through the one re-opened session.
    m.C_CloseAllSessions(slot);
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => signer.signMessage(`m${i}`)));
    many.forEach((sig, i) => expect(verifyMessage(`m${i}`, sig)).to.equal(signer.address));
    expect(signer.sessionsOpened).to.equal(3);
  });

  it("reports a wrong PIN, a missing PIN, token, key or module, a key on another curve with typed errors that never show the PIN", async () => {
    const wrongEnv = "TEST_HSM_WRONG_PIN";
    process.env[wrongEnv] = "wrong-pin-123456";
    const fresh = await tokenWithKey("operator"); // no session of this process is logged in to it yet
    // A P-256 key next to it, made straight through PKCS#11: a key the signer must not use.
    const { m, session } = await rawSession(token);
    m.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [{ type: pkcs11js.CKA_TOKEN, value: false }, { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from("06082a8648ce3d030107", "hex") }, { type: pkcs11js.CKA_LABEL, value: "p256" }],
      [{ type: pkcs11js.CKA_TOKEN, value: false }, { type: pkcs11js.CKA_SIGN, value: true }, { type: pkcs11js.CKA_PRIVATE, value: true }, { type: pkcs11js.CKA_LABEL, value: "p256" }],
    );
    const cases: { name: string; open: () => Promise<unknown>; error: new (...a: never[]) => Error; message: RegExp }[] = [
      { name: "wrong PIN (the token refuses it)", open: () => Pkcs11Signer.open({ module: MODULE, token: fresh.label, key: { label: "operator" }, pin: { env: wrongEnv } }), error: Pkcs11PinIncorrectError, message: /CKR_PIN_INCORRECT/ },
      { name: "wrong PIN while another signer of this process is logged in", open: () => Pkcs11Signer.open({ module: MODULE, token: token.label, key: { label: "operator" }, pin: { env: wrongEnv } }), error: Pkcs11PinIncorrectError, message: /refused/ },
      { name: "PIN not set", open: () => Pkcs11Signer.open({ module: MODULE, token: token.label, key: { label: "operator" }, pin: { env: "TEST_HSM_UNSET_PIN" } }), error: PinUnavailableError, message: /TEST_HSM_UNSET_PIN/ },
      { name: "PIN file missing", open: () => Pkcs11Signer.open({ module: MODULE, token: token.label, key: { label: "operator" }, pin: { file: "/nonexistent/pin" } }), error: PinUnavailableError, message: /ENOENT/ },
      { name: "no such token", open: () => Pkcs11Signer.open({ module: MODULE, token: "no-such-token", key: { label: "operator" }, pin: { env: token.pinEnv } }), error: Pkcs11TokenNotFoundError, message: new RegExp(token.label) },
      { name: "no such key", open: () => Pkcs11Signer.open({ module: MODULE, token: token.label, key: { label: "nobody" }, pin: { env: token.pinEnv } }), error: Pkcs11KeyNotFoundError, message: /no private key with label "nobody"/ },
      { name: "a key on another curve", open: () => Pkcs11Signer.open({ module: MODULE, token: token.label, key: { label: "p256" }, pin: { env: token.pinEnv } }), error: UnsupportedKeyError, message: /not on secp256k1/ },
      { name: "a key id that is not hex", open: () => Pkcs11Signer.open({ module: MODULE, token: token.label, key: { id: "zz" }, pin: { env: token.pinEnv } }), error: InvalidInputError, message: /key\.id/ },
      { name: "no such module", open: () => Pkcs11Signer.open({ module: "/nonexistent/libpkcs11.so", token: token.label, key: { label: "operator" }, pin: { env: token.pinEnv } }), error: Pkcs11ModuleNotFoundError, message: /nonexistent\/libpkcs11\.so/ },
    ];
    for (const c of cases) {
      const e = await c.open().then(
        () => null,
        (err: unknown) => err,
      );
      expect(e, c.name).to.be.instanceOf(c.error);
      expect((e as Error).message, c.name).to.match(c.message);
      for (const pin of [process.env[wrongEnv]!, process.env[token.pinEnv]!, process.env[fresh.pinEnv]!]) expect((e as Error).message, c.name).not.to.contain(pin);
    }
    m.C_CloseSession(session);
    // The right PIN still works after the refused ones.
    expect((await open(token)).address).to.equal(token.key.address);
    expect((await open(fresh)).address).to.equal(fresh.key.address);
  });

  it("generates keys whose private value cannot be read back, wrapped out or made extractable", async () => {
    const t = await createToken("keygen");
    const key = await generatePkcs11Key({ module: MODULE, token: t.label, pin: { env: t.pinEnv }, label: "responder" });
    await expect(generatePkcs11Key({ module: MODULE, token: t.label, pin: { env: t.pinEnv }, label: "responder" })).to.be.rejectedWith(Pkcs11KeyExistsError);
    const { m, session } = await rawSession(t);
    try {
      const [priv] = (() => {
        m.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: "responder" }]);
        const found = m.C_FindObjects(session, 2);
        m.C_FindObjectsFinal(session);
        return found;
      })();
      expect(priv, "the private key is on the token").to.not.equal(undefined);
      const flags = m.C_GetAttributeValue(session, priv, [
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
        { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
        { type: pkcs11js.CKA_TOKEN },
      ]);
      expect(flags.map((a) => a.value![0])).to.deep.equal([1, 0, 1, 1, 1]);
      // Reading the scalar: refused, even to the logged-in user.
      expect(ckr(() => m.C_GetAttributeValue(session, priv, [{ type: pkcs11js.CKA_VALUE }]))).to.equal("CKR_ATTRIBUTE_SENSITIVE");
      // Wrapping it out under a key the attacker makes: refused.
      const wrapper = m.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_WRAP, value: true },
        { type: pkcs11js.CKA_TOKEN, value: false },
      ]);
      expect(ckr(() => m.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD }, wrapper, priv, Buffer.alloc(512)))).to.equal("CKR_KEY_UNEXTRACTABLE");
      // Turning the flags back: refused.
      expect(ckr(() => m.C_SetAttributeValue(session, priv, [{ type: pkcs11js.CKA_EXTRACTABLE, value: true }]))).to.match(/CKR_ATTRIBUTE_READ_ONLY|CKR_ATTRIBUTE_VALUE_INVALID/);
      expect(ckr(() => m.C_SetAttributeValue(session, priv, [{ type: pkcs11js.CKA_SENSITIVE, value: false }]))).to.match(/CKR_ATTRIBUTE_READ_ONLY|CKR_ATTRIBUTE_VALUE_INVALID/);
    } finally {
      m.C_CloseSession(session);
    }
    // It signs, and its address is the one keygen printed.
    const signer = await Pkcs11Signer.open({ module: MODULE, token: t.label, key: { label: "responder" }, pin: { env: t.pinEnv } });
    expect(signer.address).to.equal(key.address);
  });
});
