#!/usr/bin/env bash
# The language benchmark's recorded speech (benchmarks/language.py, speech part), from
# Debian's package archive (bookworm): the .debs are fetched with `apt-get download` and
# unpacked with `dpkg-deb -x`; nothing is installed. Versions and hashes are pinned.
#
# - pocketsphinx-testdata (BSD-2, CMU): 5 LibriVox recordings (public domain) of "Sense
#   and Sensibility" ch. 1, 16 kHz, with their transcription
#   -> data/speech/librivox/{*.wav,transcripts.csv,copyright}
# - asterisk-core-sounds-en-wav + asterisk-core-sounds-en (CC-BY-SA-3.0, recorded by
#   Allison Smith): the en_US_f_Allison telephony prompts, 8 kHz, and their transcripts
#   (core-sounds-en.txt, `name: text`, name = the wav's path without .wav)
#   -> data/speech/asterisk/{<name>.wav,transcripts.csv,copyright}
#   Only prompts whose transcript is speech are kept (every clip in the folder has one, as
#   a Lepton audio folder needs): tones and effects ("[beep]", "<beep ascending>",
#   "(5 seconds of silence)") are dropped; inline notes in [] or () and "..." are
#   removed; "*" and "#" are written as the prompts say them ("star", "pound").
#
#   bash benchmarks/setup_speech.sh [python]
set -euo pipefail
cd "$(dirname "$0")"
python="${1:-python3}"
packages=(
  "pocketsphinx-testdata=0.8+5prealpha+1-15 eaeb7a01d54f20b799d1a81ef110ec544b2cb47ea006614078220737a33019f0"
  "asterisk-core-sounds-en-wav=1.6.1-1 2be3ea287d83299d143815fa804f11179a75b7affd4a758b98b55f5afc18a35d"
  "asterisk-core-sounds-en=1.6.1-1 973e797d28e37fa6ca3c0a9d6fa717e77cf1268ae916bf09fd3503113cdffa50"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for entry in "${packages[@]}"; do
  read -r spec sha <<<"$entry"
  name=${spec%%=*}
  version=${spec#*=}
  # apt-get warns that the download runs unsandboxed as root into a temp dir: harmless
  (cd "$tmp" && apt-get download -qq "$spec" 2>&1 | grep -v "unsandboxed" || true)
  deb="$tmp/${name}_${version//:/%3a}_all.deb"
  [[ -f "$deb" ]] || { echo "apt-get download $spec produced no $deb" >&2; exit 1; }
  echo "$sha  $deb" | sha256sum -c --quiet
  dpkg-deb -x "$deb" "$tmp/root"
done

rm -rf data/speech/librivox data/speech/asterisk
mkdir -p data/speech/librivox data/speech/asterisk
librivox="$tmp/root/usr/share/pocketsphinx/test/data/librivox"
asterisk="$tmp/root/usr/share/asterisk/sounds/en_US_f_Allison"
cp "$librivox"/*.wav data/speech/librivox/
cp "$tmp/root/usr/share/doc/pocketsphinx-testdata/copyright" data/speech/librivox/copyright
cp "$tmp/root/usr/share/doc/asterisk-core-sounds-en-wav/copyright" data/speech/asterisk/copyright

"$python" - "$librivox/transcription" "$tmp/root/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz" "$asterisk" <<'EOF'
import csv, gzip, re, shutil, sys
from pathlib import Path

transcription, sounds_txt, sounds = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
out = Path("data/speech")

def write(folder: Path, rows: list[tuple[str, str]]) -> None:
    with (folder / "transcripts.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["file", "transcript"])
        writer.writerows(rows)

# LibriVox: "<s> words </s> (fileid)"; every fileid names a copied wav
rows = []
for line in transcription.read_text(encoding="utf-8").splitlines():
    m = re.fullmatch(r"\s*<s>(.*)</s>\s*\((\S+)\)\s*", line)
    if not m:
        continue
    wav = f"{m.group(2)}.wav"
    if not (out / "librivox" / wav).is_file():
        sys.exit(f"librivox transcription names {wav}, which the package does not ship")
    rows.append((wav, " ".join(m.group(1).split())))
write(out / "librivox", rows)

# Asterisk: "name: text", name = the wav's relative path without ".wav" ("digits/1")
rows, skipped, no_wav = [], [], []
for line in gzip.open(sounds_txt, "rt", encoding="utf-8"):
    m = re.match(r"([^\s:;][^\s:]*):\s(.*)", line.rstrip("\n"))
    if not m:
        continue  # the title comment, blank lines
    name, text = m.group(1), m.group(2).strip()
    if re.fullmatch(r"\[.*\]|<.*>|\(.*\)", text):
        skipped.append(name)  # a tone, a sound effect or silence: nothing to transcribe
        continue
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", text)  # "at [@]", "(note: ...)"
    text = text.replace("...", " ").replace("*", " star ").replace("#", " pound ")
    text = text.replace("exclaimation", "exclamation")  # a typo; the prompt says it right
    text = " ".join(text.split())
    wav = sounds / f"{name}.wav"
    if not wav.is_file():
        no_wav.append(name)
        continue
    if not text:
        skipped.append(name)
        continue
    target = out / "asterisk" / f"{name}.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wav, target)
    rows.append((f"{name}.wav", text))
rows.sort()
write(out / "asterisk", rows)
unlisted = sorted(
    p.relative_to(sounds).as_posix()
    for p in sounds.rglob("*.wav")
    if p.relative_to(sounds).with_suffix("").as_posix() not in {r[0][:-4] for r in rows}
    and p.relative_to(sounds).with_suffix("").as_posix() not in skipped
)
print(
    f"asterisk: dropped {len(skipped)} non-speech prompts ({', '.join(skipped)}); "
    f"{len(no_wav)} transcripts without a wav ({', '.join(no_wav) or '-'}); "
    f"{len(unlisted)} wavs without a transcript ({', '.join(unlisted) or '-'})"
)
EOF

count() { find "$1" -name '*.wav' | wc -l; }
echo "speech ready: benchmarks/data/speech/librivox $(count data/speech/librivox) clips," \
  "benchmarks/data/speech/asterisk $(count data/speech/asterisk) clips" \
  "(transcripts.csv rows: $(($(wc -l <data/speech/librivox/transcripts.csv) - 1)) and" \
  "$(($(wc -l <data/speech/asterisk/transcripts.csv) - 1)))"
