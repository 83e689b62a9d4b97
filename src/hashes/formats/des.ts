/**
 * Traditional DES crypt(3) (13 chars: 2-char salt + 11 chars). No maintained npm library
 * covers it, so it is implemented here from FIPS 46-3 with the crypt(3) salt perturbation.
 * Bit-array implementation: slow per block but crypt needs only 25 encryptions.
 */
const IP = [58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7];
const FP: number[] = new Array<number>(64);
IP.forEach((src, i) => (FP[src - 1] = i + 1));
const E = [32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1];
const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];
const PC1 = [57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4];
const PC2 = [14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const S = [
  [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
  [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
  [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
  [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
  [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
  [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
  [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
  [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
];

export const CRYPT_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function bitsOf(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const b of bytes) for (let i = 7; i >= 0; i--) out.push((b >> i) & 1);
  return out;
}

function subkeys(key: Uint8Array): number[][] {
  const kb = bitsOf(key);
  const cd = PC1.map((i) => kb[i - 1]!);
  let c = cd.slice(0, 28);
  let d = cd.slice(28);
  const out: number[][] = [];
  for (const s of SHIFTS) {
    c = c.slice(s).concat(c.slice(0, s));
    d = d.slice(s).concat(d.slice(0, s));
    const both = c.concat(d);
    out.push(PC2.map((i) => both[i - 1]!));
  }
  return out;
}

/** DES encryption of one 64-bit block (as bits) with an optionally salt-perturbed E table. */
export function desBlock(block: number[], keys: number[][], e: readonly number[] = E): number[] {
  const ip = IP.map((i) => block[i - 1]!);
  let l = ip.slice(0, 32);
  let r = ip.slice(32);
  for (let round = 0; round < 16; round++) {
    const k = keys[round]!;
    const x = e.map((i, j) => r[i - 1]! ^ k[j]!);
    const f: number[] = [];
    for (let s = 0; s < 8; s++) {
      const b = x.slice(s * 6, s * 6 + 6);
      const row = (b[0]! << 1) | b[5]!;
      const col = (b[1]! << 3) | (b[2]! << 2) | (b[3]! << 1) | b[4]!;
      const v = S[s]![row * 16 + col]!;
      f.push((v >> 3) & 1, (v >> 2) & 1, (v >> 1) & 1, v & 1);
    }
    const pf = P.map((i) => f[i - 1]!);
    const nr = l.map((bit, i) => bit ^ pf[i]!);
    l = r;
    r = nr;
  }
  const pre = r.concat(l);
  return FP.map((i) => pre[i - 1]!);
}

export function desEncrypt(key: Uint8Array, plain: Uint8Array): Buffer {
  const bits = desBlock(bitsOf(plain), subkeys(key));
  const out = Buffer.alloc(8);
  for (let i = 0; i < 64; i++) out[i >> 3]! |= bits[i]! << (7 - (i & 7));
  return out;
}

/** crypt(3) traditional DES: `salt` = 2 chars of ./0-9A-Za-z; only the first 8 password bytes count. */
export function desCrypt(password: Uint8Array, salt: string): string {
  const key = new Uint8Array(8);
  for (let i = 0; i < 8 && i < password.length; i++) key[i] = (password[i]! << 1) & 0xff;
  const e = E.slice();
  for (let i = 0; i < 2; i++) {
    const v = Math.max(0, CRYPT_ITOA64.indexOf(salt[i] ?? "."));
    for (let j = 0; j < 6; j++) {
      if ((v >> j) & 1) {
        const a = 6 * i + j;
        [e[a], e[a + 24]] = [e[a + 24]!, e[a]!];
      }
    }
  }
  const keys = subkeys(key);
  let block = new Array<number>(64).fill(0);
  for (let i = 0; i < 25; i++) block = desBlock(block, keys, e);
  block.push(0, 0);
  let out = salt.slice(0, 2);
  for (let i = 0; i < 66; i += 6) {
    let v = 0;
    for (let j = 0; j < 6; j++) v = (v << 1) | block[i + j]!;
    out += CRYPT_ITOA64[v];
  }
  return out;
}
