import numpy as np
import pytest

from mpiis.phenformer import (
    PhasedVariants,
    ReferenceGenome,
    read_bed,
    read_phenotypes,
    read_vcf,
    write_bed,
    write_fasta,
    write_vcf,
)


def test_in_memory_reference_and_window_errors():
    ref = ReferenceGenome({"chr1": "ACGTACGTNN"})
    np.testing.assert_array_equal(ref.fetch("chr1", 0, 4), [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"chr1:8-12"):
        ref.fetch("chr1", 8, 12)
    with pytest.raises(ValueError, match="chr9"):
        ref.fetch("chr9", 0, 1)
    with pytest.raises(ValueError, match="position 2"):
        ReferenceGenome({"chr1": "ACZ"})


def test_fasta_round_trip(tmp_path):
    pytest.importorskip("pyfaidx")
    write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 30, "chr2": "TTTTGGGG"}, line_width=50)
    ref = ReferenceGenome(tmp_path / "ref.fa")
    assert ref.length("chr1") == 120
    np.testing.assert_array_equal(ref.fetch("chr2", 2, 6), [3, 3, 2, 2])
    np.testing.assert_array_equal(ref.window("chr1", 60, 8), ref.fetch("chr1", 56, 64))


def test_bed_messy_rows(tmp_path):
    p = tmp_path / "genes.bed"
    p.write_text("track name=x\n# comment\nchr1\t100\t200\tg1\t0\t+\nchr1\tabc\t300\tbad\n"
                 "chr1\t500\t400\tbad2\nchr2\t10\t20\tg2\t0\t-\nchr3\t5\n")
    with pytest.warns(UserWarning, match=r"dropped 3 BED row"):
        rows = read_bed(p)
    assert [r["name"] for r in rows] == ["g1", "g2"]
    assert rows[0]["tss"] == 100 and rows[1]["tss"] == 19
    write_bed(tmp_path / "out.bed", rows)
    assert [r["name"] for r in read_bed(tmp_path / "out.bed")] == ["g1", "g2"]


def _variants():
    h = np.array([[[0, 1], [1, 1]], [[0, 0], [1, 0]]], np.uint8)
    return PhasedVariants(np.array(["chr1", "chr1"]), np.array([3, 7]), np.array(["G", "G"]),
                          np.array(["A", "T"]), ("s1", "s2"), h)


def test_vcf_round_trip_and_regions(tmp_path):
    pytest.importorskip("cyvcf2")
    write_vcf(tmp_path / "x.vcf", _variants())
    v = read_vcf(tmp_path / "x.vcf")
    np.testing.assert_array_equal(v.haplotypes, _variants().haplotypes)
    assert v.samples == ("s1", "s2")
    r = read_vcf(tmp_path / "x.vcf", regions=["chr1:5-10"], samples=["s2"])
    np.testing.assert_array_equal(r.pos, [7])
    np.testing.assert_array_equal(r.haplotypes[:, 0], [[1, 0]])
    with pytest.raises(ValueError, match=r"\['nobody'\]"):
        read_vcf(tmp_path / "x.vcf", samples=["s1", "nobody"])


def test_vcf_messy_records(tmp_path):
    pytest.importorskip("cyvcf2")
    p = tmp_path / "messy.vcf"
    p.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\n"
        "chr1\t3\t.\tG\tA\t.\tPASS\t.\tGT\t0|1\n"
        "chr1\t4\t.\tT\tA,C\t.\tPASS\t.\tGT\t1|2\n"
        "chr1\t5\t.\tA\tAT\t.\tPASS\t.\tGT\t0|1\n"
        "chr1\t6\t.\tC\tG\t.\tPASS\t.\tGT\t0/1\n"
        "chr1\t7\t.\tA\tT\t.\tPASS\t.\tGT\t0|1\n"
    )
    ref = ReferenceGenome({"chr1": "ACGTACGTAC"})
    with pytest.warns(UserWarning, match=r"dropped 4 VCF record"):
        v = read_vcf(p, reference=ref)
    np.testing.assert_array_equal(v.pos, [3])
    assert any("chr1:7" in d and "REF" in d for d in v.dropped)
    with pytest.raises(ValueError, match=r"chr1:4.*multi-allelic"):
        read_vcf(p, strict=True)


def test_phenotypes_messy(tmp_path):
    p = tmp_path / "pheno.tsv"
    p.write_text("id\tdisease\tage\ni1\t1\t50\ni2\tNA\t40\ni3\t0\t\ni4\t0\t33\ni5\t1\n")
    with pytest.warns(UserWarning, match=r"dropped 3 phenotype row"):
        t = read_phenotypes(p)
    assert list(t["id"]) == ["i1", "i4"] and list(t["disease"]) == [1.0, 0.0]


def test_messy_fasta_is_read_in_memory(tmp_path):
    pytest.importorskip("pyfaidx")
    p = tmp_path / "messy.fa"
    p.write_text(">chr1 some description\r\nACGTacgt\r\nACG\r\nACGTACGT\r\n\r\n"
                 ">chr2\nNNNNRYKM\nACGT\n>chr2\nAAAA\n>empty\n>chr3\nTTTT\n")
    with pytest.warns(UserWarning) as rec:
        ref = ReferenceGenome(p)
    text = " ".join(str(w.message) for w in rec)
    assert "built-in parser" in text and "dropped 2 FASTA record(s)" in text
    assert "chr2 (duplicate name" in text and "empty (empty)" in text
    assert ref.chromosomes == ["chr1", "chr2", "chr3"] and ref.length("chr1") == 19
    np.testing.assert_array_equal(ref.fetch("chr1", 4, 8), [0, 1, 2, 3])  # lowercase read
    with pytest.raises(ValueError, match="position 4"):
        ref.fetch("chr2", 0, 8)  # R is not ACGTN: named by its position
    with pytest.warns(UserWarning):  # the fallback and the dropped records, as above
        lenient = ReferenceGenome(p, ambiguous="N")
    np.testing.assert_array_equal(lenient.fetch("chr2", 2, 10), [4, 4, 4, 4, 4, 4, 0, 1])
    assert lenient.ambiguous_replaced == 4
    with pytest.raises(ValueError, match="ambiguous"):
        ReferenceGenome(p, ambiguous="drop")
