// Bech32 addresses under another prefix: the same 20 bytes, named for another role. A committee
// member is named by its operator's account (depin1…) while the validator pages take its
// operator address (depinvaloper1…); only the prefix and the checksum differ (BIP 173).

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const CHECKSUM_LENGTH = 6;

function polymod(values) {
  let check = 1;
  for (const value of values) {
    const top = check >>> 25;
    check = ((check & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit += 1) {
      if ((top >>> bit) & 1) check ^= GENERATOR[bit];
    }
  }
  return check;
}

function expandPrefix(prefix) {
  const codes = [...prefix].map((char) => char.charCodeAt(0));
  return [...codes.map((code) => code >> 5), 0, ...codes.map((code) => code & 31)];
}

// The 5-bit words of a valid address's data (checksum dropped), or null.
function words(address) {
  const text = String(address).toLowerCase();
  const split = text.lastIndexOf("1");
  if (split < 1 || text.length - split - 1 < CHECKSUM_LENGTH) return null;
  const data = [...text.slice(split + 1)].map((char) => CHARSET.indexOf(char));
  if (data.includes(-1)) return null;
  if (polymod([...expandPrefix(text.slice(0, split)), ...data]) !== 1) return null;
  return data.slice(0, -CHECKSUM_LENGTH);
}

// `address` with prefix `prefix` ("depinvaloper"), or null when it is not a valid address.
export function withPrefix(address, prefix) {
  const data = words(address);
  if (!data) return null;
  const check = polymod([...expandPrefix(prefix), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const sum = [];
  for (let index = 0; index < CHECKSUM_LENGTH; index += 1) {
    sum.push((check >>> (5 * (CHECKSUM_LENGTH - 1 - index))) & 31);
  }
  return `${prefix}1${[...data, ...sum].map((word) => CHARSET[word]).join("")}`;
}
