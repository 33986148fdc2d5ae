"""Writes dredfast/data/demo_trace.txt: the loss pattern of `dredfast demo` (one line
per 20 ms packet, 1 = received, 0 = lost), made to show every recovery path on the
3.5 s demo clip: single losses (LBRR), a 60 ms and a 160 ms burst (DRED), a 500 ms
burst (DRED, then PLC beyond what the packet after it carries) -- 23 % loss in all."""
from pathlib import Path

N = 176  # packets for 3.47 s of speech plus one
LOST = [20, 48, 49, 50, 62, 80, 81, 82, 83, 84, 85, 86, 87, 100] + list(range(120, 145)) + [160]


def main() -> None:
    lines = ["0" if i in LOST else "1" for i in range(N)]
    path = Path(__file__).resolve().parents[1] / "dredfast" / "data" / "demo_trace.txt"
    path.write_text("\n".join(lines) + "\n")
    print(f"{path}: {len(LOST)} of {N} packets lost")


if __name__ == "__main__":
    main()
