// The share link's parser (src/link): base64url, raw DEFLATE, and the state's
// strict validation. Independent answers: fragments written by zlib (the
// library behind the browser's CompressionStream, through Python's zlib with
// wbits = -15) for dynamic-Huffman and stored blocks, hand-made hostile
// fragments, and round trips through our own writer.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <random>
#include <string>

#include "link/base64url.h"
#include "link/link_state.h"
#include "link/raw_inflate.h"
#include "tensor/limits.h"

namespace {

using nlohmann::json;

// {"v":1,"model":"mnist-cnn","invert":false,"layer":"conv2","neuron":7,"viz":{...the app's defaults...},
//  "focus":{"method":"gradcam","target":-1},"clusters":{...},"panels":{8 panels},
//  "input":{"pixels": base64url of bytes (i * 7) % 256, i < 784}} compressed by zlib level 9 (dynamic Huffman).
const char* kZlibFragment =
    "s=bVPJkqs4EPwXzs0EYNa-GRsvrAbjjYtDgNh3xPqi_32wu9-8iYk5SVWVWZlVCv3CeuyT_MDy0ocZ9onlRdwi3CsK7AOLix42CPsMQNbCDywDE2wWiFcW"
    "PbWUC9g1ZYF9ch9YH8_Y5y-sdBPoobiHr0YQvHq0CFYt9kkx7NIAgqaIi9ACaEEQfxHMB1ZWKM7j-d0Y-CBfKG7WNa8yvTCo5fKBof59JDFCL-Bit_VA"
    "BuWfeCk1Jfpu-lIEL9Mvm8u1QC8TEPoL7esDC0qva19Wc4iickliYQN876278EK4MPEX0Mu6xXrzxrZl13ivmcBrOIDi8j3Z4jsDTYympVIto7XvdAAB"
    "6hrY_hf-j2D62ky7ZFLsk16UKlDA7K0TF1W36KOmW7ZdNdCPvTf5J1NANJRN-if8Xv939DPYd_DH_M_TgQJkUxv_K-GW3e-X_fr4rfwLq-LxbQZbrz1j"
    "Zw2Jkkj0iXD06w7F4C6ugvKmpUwd1QpO9Z6tEqgIGZwjn2tNkawwkGOCMAhZvux86NzGGZb7Y8IAv1K6qfO2hxndPRpvRvzE77eW6R7jdNBnZmfvdPC4"
    "Rb1fUFLMKE6pwA6583ZCh8cKd5Fwajcba30_xJdWmyvxLAm3-81qvCJfRzR7LRSjbt34ObarC4WrFX8KcNEc7H0sler8ECwJnW83sXCLKx_StZXLeN64"
    "Z25oC5MUuIw7ndi1GZ52EZEq85ExJd-4XscEFDs6oIGeyV1cu5tV3941Qmgi1nhST9NUpSgN5YkmT5KuXK5R4OQkAWlFTmUIKzDNXXs4zoLrM0Y_4eb6"
    "sI0u3nEqR2Mr7O2r5T7ybPBX7C6RDVCCuEfNSpoE1aGNoBOCYbuJpMdheiB9izbnq3i_59fWW9VifMRvBTg3bVOsR567roxTzQfJUwyJy346VtrWw63L"
    "aN_yXemuHCE6duccbIqmufED31iU_sy5wObWYWruRjpTtxprXqLTNSNTsJKZ8AiNzJmSutnTPe_qpN7HbLBdPcOLJo1lpGx46nSx1EuWhQ7FkMHRUFIn"
    "DqqaIjpelQk9gAycZzyUjtvx4cubdjIu4sHOrt6DqkZ4wPeJc3bLOh8Qx-1m_QRomPRCT0ib8egcN16n2-P2nO0ed8pB_qHbxM7mXtS3tuUacdKetxW0"
    "G75P1-JAXw8brdbs8Gml5OVGyZV38PHoMdl5vS8bDgij1p8puC24_s6vh9Lai3yu2iZnppl5JZnMPehs-IhPWUWlNacwgxYYpD8nbH-gn8ND34ltrNjr"
    "1Sm9aheyisBeoILHWU2rPKxYluy1k0L4ScB0KwIfjrIkelA-D7OR7o426fjOHk3wsTkk1c0r2Xrs1Od-9m2X7opBeNK7raiB4zns9YSUzqTsPPZ-59-n"
    "bVztHwULEFL7zeRv76vu3vLPUtys-dvhbDZakq0tgrne93rt3aNnVFKXnFWqVoX46M021R1K7ukK4ro978_rQk0uvElU1m0n5O7d4sIyNzOGzRrVYAcv"
    "OZFolbJPlfnf_29iX19_Aw";
// {"v":1,"neuron":3} in one stored (uncompressed) block, by zlib level 0.
const char* kStoredFragment = "s=ARIA7f97InYiOjEsIm5ldXJvbiI6M30";

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::string fragment_of(const std::string& json_text) {
  return "s=" + nl::base64url_encode(nl::deflate_raw(bytes_of(json_text)));
}

// The error decoding `json_text` gives (empty when it decodes).
std::string decode_error(const std::string& json_text) {
  auto r = nl::decode_link_fragment(fragment_of(json_text));
  return r.ok() ? "" : r.status().message();
}

}  // namespace

TEST_CASE("base64url: round trips every tail length and refuses what encodes nothing", "[link]") {
  std::vector<uint8_t> bytes;
  for (int n = 0; n < 12; ++n) {
    auto back = nl::base64url_decode(nl::base64url_encode(bytes));
    REQUIRE(back.ok());
    CHECK(back.value() == bytes);
    bytes.push_back(static_cast<uint8_t>(250 - 37 * n));
  }
  CHECK(nl::base64url_encode(bytes_of("\xfb\xff")) == "-_8");  // RFC 4648's url alphabet
  CHECK_FALSE(nl::base64url_decode("abcde").ok());   // 4k + 1 characters
  CHECK_FALSE(nl::base64url_decode("ab+d").ok());    // the standard alphabet's '+'
  CHECK_FALSE(nl::base64url_decode("ab=").ok());     // padding
  CHECK_FALSE(nl::base64url_decode("QR").ok());      // 'R' leaves non-zero bits
  CHECK(nl::base64url_decode("QQ").value() == bytes_of("A"));
}

TEST_CASE("raw DEFLATE: reads zlib's dynamic and stored blocks, and our writer round trips", "[link]") {
  auto packed = nl::base64url_decode(std::string(kZlibFragment).substr(2));
  REQUIRE(packed.ok());
  REQUIRE(((packed.value()[0] >> 1) & 3) == 2);  // a dynamic-Huffman block
  auto text = nl::inflate_raw(packed.value(), 1 << 20);
  REQUIRE(text.ok());
  CHECK(text.value().size() == 1585);
  CHECK(std::string(text.value().begin(), text.value().begin() + 25) == "{\"v\":1,\"model\":\"mnist-cnn");

  std::mt19937 rng(7);
  for (size_t n : {0, 1, 2, 3, 100, 258, 259, 40000, 70000}) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i % 3 == 0 ? rng() % 4 : i / 97);  // repeats and noise
    auto round = nl::inflate_raw(nl::deflate_raw(data), n);
    REQUIRE(round.ok());
    CHECK(round.value() == data);
  }
  const std::vector<uint8_t> zeros(100000, 0);
  CHECK(nl::deflate_raw(zeros).size() < 1000);  // matches are found
}

TEST_CASE("raw DEFLATE: hostile streams give errors", "[link]") {
  auto packed = nl::base64url_decode(std::string(kZlibFragment).substr(2)).value();
  SECTION("cut short") {
    for (size_t n : {size_t{0}, size_t{1}, size_t{10}, packed.size() / 2, packed.size() - 1}) {
      auto r = nl::inflate_raw(std::span<const uint8_t>(packed.data(), n), 1 << 20);
      CHECK_FALSE(r.ok());
    }
  }
  SECTION("bytes after the final block") {
    packed.push_back(0);
    auto r = nl::inflate_raw(packed, 1 << 20);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("follow the final block"));
  }
  SECTION("output over the limit") {
    auto r = nl::inflate_raw(packed, 1000);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("limit of 1000 bytes"));
  }
  SECTION("reserved block type, stored length check, reference before the start") {
    CHECK_FALSE(nl::inflate_raw(std::vector<uint8_t>{0x07}, 100).ok());
    CHECK_FALSE(nl::inflate_raw(std::vector<uint8_t>{0x01, 0x01, 0x00, 0x00, 0x00, 0x41}, 100).ok());
    // Fixed block: length code 257 (3 bytes), distance code 0 (1 back) with nothing written yet.
    CHECK_THAT(nl::inflate_raw(std::vector<uint8_t>{0x03, 0x02, 0x00, 0x00}, 100).status().message(),
               Catch::Contains("before the start"));
  }
}

TEST_CASE("link state: a zlib-made fragment of the app's state decodes to its canonical form", "[link]") {
  auto decoded = nl::decode_link_fragment(std::string("#") + kZlibFragment);
  REQUIRE(decoded.ok());
  const json s = json::parse(decoded.value());
  CHECK(s["v"] == 1);
  CHECK(s["model"] == "mnist-cnn");
  CHECK(s["layer"] == "conv2");
  CHECK(s["neuron"] == 7);
  CHECK(s["viz"]["steps"] == 256);
  CHECK(s["viz"]["learningRate"].get<double>() == 0.05);
  CHECK(s["focus"]["target"] == -1);
  CHECK(s["panels"].size() == 8);
  CHECK(s["panels"]["clusters"] == false);
  CHECK(s["input"]["pixels"].get<std::string>().size() == 1046);  // 784 bytes: 261 * 4 + 2 characters
  // Canonical: decoding the canonical text again changes nothing, and so does our encoder.
  CHECK(nl::canonical_link_state(decoded.value()).value() == decoded.value());
  auto fragment = nl::encode_link_fragment(decoded.value());
  REQUIRE(fragment.ok());
  CHECK(nl::decode_link_fragment(fragment.value()).value() == decoded.value());

  auto stored = nl::decode_link_fragment(kStoredFragment);
  REQUIRE(stored.ok());
  CHECK(stored.value() == R"({"v":1,"neuron":3})");
}

TEST_CASE("link state: names keep quotes, backslashes and non-ASCII through a round trip", "[link]") {
  const std::string state = R"({"layer":"a \"b\" \\ c/d \u00e9\u4e2d","model":"m"})";
  auto fragment = nl::encode_link_fragment(state);
  REQUIRE(fragment.ok());
  auto decoded = nl::decode_link_fragment(fragment.value());
  REQUIRE(decoded.ok());
  CHECK(json::parse(decoded.value())["layer"] == "a \"b\" \\ c/d \u00e9\u4e2d");
  CHECK(json::parse(decoded.value())["model"] == "m");
}

TEST_CASE("link state: hostile fragments are refused with a reason", "[link]") {
  CHECK_THAT(nl::decode_link_fragment("").status().message(), Catch::Contains("no state"));
  CHECK_THAT(nl::decode_link_fragment("#x=abc").status().message(), Catch::Contains("no NeuronLens state"));
  const std::string too_long = "s=" + std::string(nl::limits::kMaxLinkFragmentChars, 'A');
  CHECK_THAT(nl::decode_link_fragment(too_long).status().message(), Catch::Contains("kMaxLinkFragmentChars"));
  CHECK_THAT(nl::decode_link_fragment("s=ab$d").status().message(), Catch::Contains("damaged"));
  // A bomb: 2 MB of spaces compress to a few KB but unpack past kMaxLinkStateBytes.
  const std::string bomb = "s=" + nl::base64url_encode(nl::deflate_raw(std::vector<uint8_t>(2 << 20, ' ')));
  REQUIRE(bomb.size() < nl::limits::kMaxLinkFragmentChars);
  CHECK_THAT(nl::decode_link_fragment(bomb).status().message(), Catch::Contains("kMaxLinkStateBytes"));

  CHECK_THAT(decode_error("[1]"), Catch::Contains("not an object"));
  CHECK_THAT(decode_error("{\"v\":1,"), Catch::Contains("malformed JSON"));
  CHECK_THAT(decode_error(R"({"neuron":1})"), Catch::Contains("no version"));
  CHECK_THAT(decode_error(R"({"v":2})"), Catch::Contains("version 2"));
  CHECK_THAT(decode_error(R"({"v":1,"v":1})"), Catch::Contains("duplicate key"));
  CHECK_THAT(decode_error(R"({"v":1,"evil":1})"), Catch::Contains("unknown key 'evil'"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"steps":10,"x":1}})"), Catch::Contains("unknown key 'viz.x'"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"steps":9000}})"), Catch::Contains("'viz.steps' is 9000; expected an integer in 1..5000"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"steps":2.5}})"), Catch::Contains("'viz.steps' is 2.5"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"steps":"10"}})"), Catch::Contains("'viz.steps'"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"blur":1e999}})"), Catch::Contains("overflow"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"learningRate":-1}})"), Catch::Contains("expected a number in"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"optimizer":"sgd"}})"), Catch::Contains("expected one of gradient, adam"));
  CHECK_THAT(decode_error(R"({"v":1,"neuron":-1})"), Catch::Contains("'neuron' is -1"));
  CHECK_THAT(decode_error(R"({"v":1,"neuron":18446744073709551615})"), Catch::Contains("'neuron'"));
  CHECK_THAT(decode_error(R"({"v":1,"invert":1})"), Catch::Contains("true or false"));
  CHECK_THAT(decode_error(R"({"v":1,"layer":"a\u0000b"})"), Catch::Contains("control character"));
  CHECK_THAT(decode_error(R"({"v":1,"layer":""})"), Catch::Contains("expected 1..256"));
  CHECK_THAT(decode_error("{\"v\":1,\"layer\":\"" + std::string(257, 'x') + "\"}"), Catch::Contains("257 bytes"));
  CHECK_THAT(decode_error(R"({"v":1,"layer":"\ud800"})"), Catch::Contains("malformed JSON"));  // a lone surrogate
  CHECK_THAT(decode_error(R"({"v":1,"panels":{"a b":true}})"), Catch::Contains("not a panel name"));
  CHECK_THAT(decode_error(R"({"v":1,"panels":{"input":"yes"}})"), Catch::Contains("'panels.input' must be true or false"));
  CHECK_THAT(decode_error(R"({"v":1,"input":{"sample":1,"pixels":"AAAA"}})"), Catch::Contains("both"));
  CHECK_THAT(decode_error(R"({"v":1,"input":{"pixels":"AA+A"}})"), Catch::Contains("input.pixels"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"seed":{"a":{"b":{"c":1}}}}})"), Catch::Contains("nested deeper"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"parameterization":"fft"}})"), Catch::Contains("expected one of pixels, fourier"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"parameterization":1}})"), Catch::Contains("'viz.parameterization'"));
  CHECK_THAT(decode_error(R"({"v":1,"viz":{"parameterization":"Fourier"}})"), Catch::Contains("'viz.parameterization'"));
  // Every field at its limits is accepted.
  CHECK(decode_error(R"({"v":1,"neuron":null,"layer":null,"viz":{"steps":5000,"seed":2147483648,"learningRate":1e-6},)"
                     R"("focus":{"target":-1},"clusters":{"k":64},"panels":{},"input":{"sample":0}})") == "");
}

TEST_CASE("link state: the visualization's parameterisation round trips; links without it stay valid", "[link]") {
  for (const char* p : {"pixels", "fourier"}) {
    const std::string state = std::string(R"({"viz":{"steps":32,"parameterization":")") + p + "\"}}";
    auto fragment = nl::encode_link_fragment(state);
    REQUIRE(fragment.ok());
    auto decoded = nl::decode_link_fragment(fragment.value());
    REQUIRE(decoded.ok());
    CHECK(json::parse(decoded.value())["viz"]["parameterization"] == p);
  }
  // The zlib-made fragment predates the field: it still decodes, without it (the page reads absent as pixels).
  auto old = nl::decode_link_fragment(kZlibFragment);
  REQUIRE(old.ok());
  CHECK_FALSE(json::parse(old.value())["viz"].contains("parameterization"));
  // Canonical order: the new key comes last in 'viz', after 'seed'.
  auto canonical = nl::canonical_link_state(R"({"viz":{"parameterization":"fourier","seed":3}})");
  REQUIRE(canonical.ok());
  CHECK(canonical.value() == R"({"v":1,"viz":{"seed":3,"parameterization":"fourier"}})");
}

TEST_CASE("link state: encoding checks the state and the fragment's length", "[link]") {
  CHECK(nl::encode_link_fragment(R"({"neuron":4})").ok());  // "v" is added
  CHECK_THAT(nl::encode_link_fragment(R"({"neuron":4,"zoom":2})").status().message(), Catch::Contains("unknown key"));
  // Pixels that do not compress: 60,000 random bytes make a fragment over the limit.
  std::mt19937 rng(3);
  std::vector<uint8_t> noise(60000);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  auto r = nl::encode_link_fragment(R"({"input":{"pixels":")" + nl::base64url_encode(noise) + "\"}}");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("kMaxLinkFragmentChars"));
}
