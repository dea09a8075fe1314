"""Readers and writers of the files users have: FASTA, VCF, BED, phenotype TSV (brief, "Data:
Real files"). FASTA and VCF reading need the extra ``io`` (pyfaidx, cyvcf2); BED and TSV parsers
are built in. Messy records are dropped, counted and named in one warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._sequence import BASES, decode, encode

__all__ = [
    "PhasedVariants",
    "ReferenceGenome",
    "read_bed",
    "read_phenotypes",
    "read_vcf",
    "write_bed",
    "write_fasta",
    "write_vcf",
]


def _need(module: str):
    try:
        return __import__(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{module} is needed to read this format; install the extra: "
            '`pip install "mpiis-phenformer[io]"`'
        ) from exc


def _warn_dropped(path, what: str, bad: list[str]) -> None:
    if bad:
        shown = "; ".join(bad[:10]) + ("; ..." if len(bad) > 10 else "")
        warnings.warn(f"{path}: dropped {len(bad)} {what}: {shown}", UserWarning, stacklevel=3)


class ReferenceGenome:
    """Reference sequences by chromosome: a FASTA file through pyfaidx (extra ``io``), or an
    in-memory ``{chrom: sequence}`` mapping for simulations.

    A FASTA that pyfaidx cannot index (irregular line lengths, CRLF line ends, blank lines,
    duplicate names) is read into memory by a built-in parser instead, with one warning; empty
    and duplicate records are dropped, counted and named. ``ambiguous="N"`` reads IUPAC ambiguity
    codes (R, Y, K, M, S, W, B, D, H, V) as N and counts them; the default ``"error"`` raises
    ``ValueError`` naming the position of any character outside ACGTN.
    """

    def __init__(self, fasta: str | Path | dict[str, str], *, ambiguous: str = "error") -> None:
        if ambiguous not in ("error", "N"):
            raise ValueError(f"`ambiguous` must be 'error' or 'N', got {ambiguous!r}")
        self.ambiguous = ambiguous
        self.ambiguous_replaced = 0
        self._raw: dict[str, str] | None = None
        self._fa = None
        if isinstance(fasta, dict):
            self._mem = {k: encode(self._clean(v) if isinstance(v, str) else v,
                                   name=f"sequence {k}") for k, v in fasta.items()}
            return
        pyfaidx = _need("pyfaidx")
        self._mem = None
        try:
            self._fa = pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=True)
        except (pyfaidx.FastaIndexingError, ValueError) as exc:
            warnings.warn(f"{fasta}: pyfaidx cannot index it ({exc}); reading it into memory "
                          "with the built-in parser", UserWarning, stacklevel=2)
            self._raw = _parse_fasta(fasta)

    def _clean(self, seq: str) -> str:
        if self.ambiguous == "N":
            up = seq.upper()
            out = up.translate(_IUPAC_TO_N)
            self.ambiguous_replaced += sum(a != b for a, b in zip(up, out, strict=True))
            return out
        return seq

    @property
    def chromosomes(self) -> list[str]:
        if self._mem is not None:
            return list(self._mem)
        return list(self._raw) if self._raw is not None else list(self._fa.keys())

    def length(self, chrom: str) -> int:
        if chrom not in self.chromosomes:
            raise ValueError(
                f"`chrom` {chrom!r} is not in the reference; it has {self.chromosomes}"
            )
        if self._mem is not None:
            return len(self._mem[chrom])
        return len(self._raw[chrom]) if self._raw is not None else len(self._fa[chrom])

    def fetch(self, chrom: str, start: int, end: int) -> np.ndarray:
        """Integer codes of ``[start, end)`` (0-based, half-open).

        Raises:
            ValueError: naming chrom, start and end when the window runs off the chromosome.
        """
        n = self.length(chrom)
        if start < 0 or end > n or end <= start:
            raise ValueError(
                f"window {chrom}:{start}-{end} runs off the chromosome (length {n}) or is empty"
            )
        if self._mem is not None:
            return self._mem[chrom][start:end].copy()
        src = self._raw if self._raw is not None else self._fa
        return encode(self._clean(src[chrom][start:end]), name=f"{chrom}:{start}-{end}")

    def window(self, chrom: str, tss: int, width: int) -> np.ndarray:
        """A TSS-centred window of ``width`` bp."""
        return self.fetch(chrom, tss - width // 2, tss - width // 2 + width)


_IUPAC_TO_N = str.maketrans({c: "N" for c in "RYKMSWBDHV"})


def _parse_fasta(path: str | Path) -> dict[str, str]:
    """A tolerant in-memory FASTA parser: CRLF, blank lines and irregular line lengths are fine;
    the name is the header's first word; empty and duplicate records are dropped and named."""
    seqs: dict[str, list[str]] = {}
    bad: list[str] = []
    name: str | None = None
    skip = False
    with open(path, encoding="ascii", errors="replace") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith(";"):
                continue
            if line.startswith(">"):
                name = line[1:].split()[0] if line[1:].split() else f"(unnamed, line {lineno})"
                skip = name in seqs
                if skip:
                    bad.append(f"{name} (duplicate name, line {lineno})")
                else:
                    seqs[name] = []
                continue
            if name is None:
                bad.append(f"line {lineno} (sequence before any header)")
                name, skip = "", True
                continue
            if not skip:
                seqs[name].append(line.upper())
    out = {}
    for k, parts in seqs.items():
        seq = "".join(parts)
        if seq:
            out[k] = seq
        else:
            bad.append(f"{k} (empty)")
    _warn_dropped(path, "FASTA record(s)", bad)
    return out


def write_fasta(path: str | Path, sequences: dict[str, str | np.ndarray], *,
                line_width: int = 60) -> None:
    """Write ``{name: sequence}`` (strings or integer codes) as FASTA."""
    with open(path, "w") as f:
        for name, seq in sequences.items():
            s = seq if isinstance(seq, str) else decode(np.asarray(seq))
            f.write(f">{name}\n")
            for i in range(0, len(s), line_width):
                f.write(s[i:i + line_width] + "\n")


def read_bed(path: str | Path) -> list[dict[str, object]]:
    """Parse BED (chrom, start, end, [name, score, strand]); the TSS anchor is ``start`` on
    ``+`` (or no strand) and ``end − 1`` on ``−``. Header/track/browser lines are skipped; rows
    with too few fields or bad coordinates are dropped, counted and named in one warning."""
    out, bad = [], []
    for lineno, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t") if "\t" in line else line.split()
        try:
            if len(f) < 3:
                raise ValueError("fewer than 3 fields")
            start, end = int(f[1]), int(f[2])
            if start < 0 or end <= start:
                raise ValueError(f"bad interval {start}-{end}")
        except ValueError as exc:
            bad.append(f"line {lineno} ({exc})" if "interval" in str(exc) or "fields" in str(exc)
                       else f"line {lineno} (non-integer coordinates)")
            continue
        strand = f[5] if len(f) > 5 and f[5] in "+-." else "."
        out.append({"chrom": f[0], "start": start, "end": end,
                    "name": f[3] if len(f) > 3 else f"{f[0]}:{start}-{end}", "strand": strand,
                    "tss": end - 1 if strand == "-" else start})
    _warn_dropped(path, "BED row(s)", bad)
    return out


def write_bed(path: str | Path, records: list[dict[str, object]]) -> None:
    """Write records with chrom, start, end and optional name, strand."""
    with open(path, "w") as f:
        for r in records:
            f.write(f"{r['chrom']}\t{r['start']}\t{r['end']}\t{r.get('name', '.')}\t0\t"
                    f"{r.get('strand', '+')}\n")


@dataclass(frozen=True, eq=False)
class PhasedVariants:
    """Biallelic phased SNVs: ``haplotypes (V, n_samples, 2)`` uint8 alternative-allele
    indicators, positions 1-based as in VCF."""

    chrom: np.ndarray
    pos: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    samples: tuple[str, ...]
    haplotypes: np.ndarray
    dropped: tuple[str, ...] = ()


def write_vcf(path: str | Path, variants: PhasedVariants) -> None:
    """Write plain VCF 4.2 with phased GT."""
    with open(path, "w") as f:
        f.write("##fileformat=VCFv4.2\n")
        for c in dict.fromkeys(variants.chrom.tolist()):
            f.write(f"##contig=<ID={c}>\n")
        f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
                + "\t".join(variants.samples) + "\n")
        for i in range(len(variants.pos)):
            gts = "\t".join(f"{a}|{b}" for a, b in variants.haplotypes[i])
            f.write(f"{variants.chrom[i]}\t{variants.pos[i]}\t.\t{variants.ref[i]}\t"
                    f"{variants.alt[i]}\t.\tPASS\t.\tGT\t{gts}\n")


def read_vcf(
    path: str | Path, *, samples: list[str] | None = None, regions: list[str] | None = None,
    reference: ReferenceGenome | None = None, strict: bool = False,
) -> PhasedVariants:
    """Read biallelic phased SNVs with cyvcf2 (extra ``io``).

    Unphased, multi-allelic, indel or missing-genotype records, and REF bases that disagree with
    ``reference``, are dropped, counted and named (chrom:pos) in one warning; with
    ``strict=True`` the first such record raises ``ValueError`` naming chrom:pos. Region queries
    (``"chr:start-end"``) use a .tbi/.csi index when present, else stream and filter.

    Raises:
        ValueError: requested ``samples`` missing from the file (all are listed).
    """
    cyvcf2 = _need("cyvcf2")
    path = Path(path)
    vcf = cyvcf2.VCF(str(path), gts012=False, lazy=True)
    names = list(vcf.samples)
    if samples is not None:
        missing = [s for s in samples if s not in names]
        if missing:
            raise ValueError(f"`samples` not in {path.name}: {missing}")
        vcf.set_samples(list(samples))
        names = list(samples)
    has_index = any(Path(str(path) + ext).exists() for ext in (".tbi", ".csi"))

    def parse_region(r: str):
        chrom, _, span = r.partition(":")
        if not span:
            return chrom, 0, np.inf
        a, _, b = span.replace(",", "").partition("-")
        return chrom, int(a), int(b) if b else np.inf

    if regions and has_index:
        records = (v for r in regions for v in vcf(r))
    elif regions:
        spans = [parse_region(r) for r in regions]
        records = (v for v in vcf if any(v.CHROM == c and a <= v.POS <= b for c, a, b in spans))
    else:
        records = iter(vcf)
    chrom, pos, ref, alt, haps, bad = [], [], [], [], [], []
    for v in records:
        where = f"{v.CHROM}:{v.POS}"
        reason = None
        if len(v.ALT) != 1:
            reason = "multi-allelic"
        elif len(v.REF) != 1 or len(v.ALT[0]) != 1 or v.REF not in BASES[:4] or \
                v.ALT[0] not in BASES[:4]:
            reason = "not an SNV"
        else:
            gts = np.asarray(v.genotype.array())  # (n, 3): a, b, phased
            if (gts[:, :2] < 0).any():
                reason = "missing genotype"
            elif not gts[:, 2].all():
                reason = "unphased"
            elif reference is not None:
                try:
                    base = BASES[int(reference.fetch(v.CHROM, v.POS - 1, v.POS)[0])]
                except ValueError as exc:
                    reason = str(exc)
                else:
                    if base != v.REF:
                        reason = f"REF {v.REF} differs from the FASTA's {base}"
        if reason is not None:
            if strict:
                raise ValueError(f"VCF record {where} in {path.name}: {reason}")
            bad.append(f"{where} ({reason})")
            continue
        chrom.append(v.CHROM)
        pos.append(v.POS)
        ref.append(v.REF)
        alt.append(v.ALT[0])
        haps.append(gts[:, :2].astype(np.uint8))
    vcf.close()
    _warn_dropped(path, "VCF record(s)", bad)
    return PhasedVariants(
        np.asarray(chrom), np.asarray(pos, dtype=np.int64), np.asarray(ref), np.asarray(alt),
        tuple(names),
        np.stack(haps) if haps else np.zeros((0, len(names), 2), np.uint8), tuple(bad),
    )


def read_phenotypes(path: str | Path) -> dict[str, np.ndarray]:
    """Read a tab-separated phenotype table (header row; first column the sample id; other
    columns numeric, ``NA``/empty = missing). Rows with the wrong field count, a missing or a
    non-numeric value are dropped, counted and named in one warning."""
    lines = [ln for ln in Path(path).read_text().splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"`path` {path} is empty")
    header = lines[0].split("\t")
    ids, vals, bad = [], [], []
    for lineno, raw in enumerate(lines[1:], 2):
        f = raw.split("\t")
        if len(f) != len(header):
            bad.append(f"line {lineno} ({len(f)} fields, expected {len(header)})")
            continue
        try:
            row = [float(x) for x in f[1:]]
            if not np.isfinite(row).all():
                raise ValueError
        except ValueError:
            bad.append(f"line {lineno} (missing or non-numeric value)")
            continue
        ids.append(f[0])
        vals.append(row)
    _warn_dropped(path, "phenotype row(s)", bad)
    arr = np.asarray(vals, dtype=np.float64).reshape(len(vals), len(header) - 1)
    out = {header[0]: np.asarray(ids)}
    for j, name in enumerate(header[1:]):
        out[name] = arr[:, j]
    return out
