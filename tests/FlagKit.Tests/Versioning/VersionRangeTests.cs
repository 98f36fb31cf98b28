using FlagKit.Versioning;

namespace FlagKit.Tests.Versioning;

public sealed class VersionRangeTests
{
    // (range, version): the version is in the range. Most rows come from node-semver's own range-include fixtures.
    private static readonly (string Range, string Version)[] Included =
    [
        ("1.0.0 - 2.0.0", "1.2.3"),
        ("^1.2.3+build", "1.2.3"),
        ("^1.2.3+build", "1.3.0"),
        ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3"),
        ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3-pre.2"),
        ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "2.4.3-alpha"),
        ("1.2.3+asdf - 2.4.3+asdf", "1.2.3"),
        ("1.0.0", "1.0.0"),
        (">=*", "0.2.4"),
        ("", "1.0.0"),
        ("*", "1.2.3"),
        (">=1.0.0", "1.0.0"),
        (">=1.0.0", "1.0.1"),
        (">=1.0.0", "1.1.0"),
        (">1.0.0", "1.0.1"),
        (">1.0.0", "1.1.0"),
        ("<=2.0.0", "2.0.0"),
        ("<=2.0.0", "1.9999.9999"),
        ("<=2.0.0", "0.2.9"),
        ("<2.0.0", "1.9999.9999"),
        ("<2.0.0", "0.2.9"),
        (">= 1.0.0", "1.0.0"),
        (">=  1.0.0", "1.0.1"),
        (">    1.0.0", "1.0.1"),
        ("<=   2.0.0", "2.0.0"),
        ("<    2.0.0", "0.2.9"),
        (">=0.1.97", "0.1.97"),
        ("0.1.20 || 1.2.4", "1.2.4"),
        (">=0.2.3 || <0.0.1", "0.0.0"),
        (">=0.2.3 || <0.0.1", "0.2.3"),
        (">=0.2.3 || <0.0.1", "0.2.4"),
        ("||", "1.3.4"),
        ("2.x.x", "2.1.3"),
        ("1.2.x", "1.2.3"),
        ("1.2.x || 2.x", "2.1.3"),
        ("1.2.x || 2.x", "1.2.3"),
        ("x", "1.2.3"),
        ("2.*.*", "2.1.3"),
        ("1.2.*", "1.2.3"),
        ("1.2.* || 2.*", "2.1.3"),
        ("2", "2.1.2"),
        ("2.3", "2.3.1"),
        ("~0.0.1", "0.0.1"),
        ("~0.0.1", "0.0.2"),
        ("~x", "0.0.9"),
        ("~2", "2.0.9"),
        ("~2.4", "2.4.0"),
        ("~2.4", "2.4.5"),
        ("~>3.2.1", "3.2.2"),
        ("~1", "1.2.3"),
        ("~>1", "1.2.3"),
        ("~> 1", "1.2.3"),
        ("~1.0", "1.0.2"),
        ("~ 1.0", "1.0.2"),
        ("~ 1.0.3", "1.0.12"),
        (">=1", "1.0.0"),
        (">= 1", "1.0.0"),
        ("<1.2", "1.1.1"),
        ("< 1.2", "1.1.1"),
        ("~v0.5.4-pre", "0.5.5"),
        ("~v0.5.4-pre", "0.5.4"),
        ("=0.7.x", "0.7.2"),
        ("<=0.7.x", "0.7.2"),
        (">=0.7.x", "0.7.2"),
        ("<=0.7.x", "0.6.2"),
        ("~1.2.1 >=1.2.3", "1.2.3"),
        ("~1.2.1 =1.2.3", "1.2.3"),
        ("~1.2.1 1.2.3", "1.2.3"),
        ("~1.2.1 >=1.2.3 1.2.3", "1.2.3"),
        (">=1.2.1 1.2.3", "1.2.3"),
        (">=1.2.3 >=1.2.1", "1.2.3"),
        (">=1.2", "1.2.8"),
        ("^1.2.3", "1.8.1"),
        ("^0.1.2", "0.1.2"),
        ("^0.1", "0.1.2"),
        ("^0.0.1", "0.0.1"),
        ("^1.2", "1.4.2"),
        ("^1.2 ^1", "1.4.2"),
        ("^1.2.3-alpha", "1.2.3-pre"),
        ("^1.2.0-alpha", "1.2.0-pre"),
        ("^0.0.1-alpha", "0.0.1-beta"),
        ("^0.0.1-alpha", "0.0.1"),
        ("^0.1.1-alpha", "0.1.1-beta"),
        ("^x", "1.2.3"),
        ("x - 1.0.0", "0.9.7"),
        ("x - 1.x", "0.9.7"),
        ("1.0.0 - x", "1.9.7"),
        ("1.x - x", "1.9.7"),
        ("<=7.x", "7.9.9"),
        (">=2.3.0 <4.0.0", "3.9.9"),
        (">=2.3 <4.0", "2.3.0"),
        ("^3.1", "3.9.0"),
        ("~1.4", "1.4.7"),
        (">=v1.2.0", "1.2.0"),
        (">=3.1.0-beta.1", "3.1.0-beta.2"),
        (">=3.1.0-beta.1", "3.2.0"),
    ];

    // (range, version): the version is not in the range. Most rows come from node-semver's range-exclude fixtures.
    private static readonly (string Range, string Version)[] Excluded =
    [
        ("1.0.0 - 2.0.0", "2.2.3"),
        ("1.2.3+asdf - 2.4.3+asdf", "1.2.3-pre.2"),
        ("1.2.3+asdf - 2.4.3+asdf", "2.4.3-alpha"),
        ("^1.2.3+build", "2.0.0"),
        ("^1.2.3+build", "1.2.0"),
        ("^1.2.3", "1.2.3-pre"),
        ("^1.2", "1.2.0-pre"),
        (">1.2", "1.3.0-beta"),
        ("<=1.2.3", "1.2.3-beta"),
        ("^1.2.3", "1.2.3-beta"),
        ("=0.7.x", "0.7.0-asdf"),
        (">=0.7.x", "0.7.0-asdf"),
        ("<=0.7.x", "0.7.0-asdf"),
        ("1.0.0", "1.0.1"),
        (">=1.0.0", "0.0.0"),
        (">=1.0.0", "0.0.1"),
        (">=1.0.0", "0.1.0"),
        (">1.0.0", "0.0.1"),
        (">1.0.0", "0.1.0"),
        ("<=2.0.0", "3.0.0"),
        ("<=2.0.0", "2.9999.9999"),
        ("<=2.0.0", "2.2.9"),
        ("<2.0.0", "2.9999.9999"),
        ("<2.0.0", "2.2.9"),
        (">=0.1.97", "0.1.93"),
        ("0.1.20 || 1.2.4", "1.2.3"),
        (">=0.2.3 || <0.0.1", "0.0.3"),
        (">=0.2.3 || <0.0.1", "0.2.2"),
        ("2.x.x", "1.1.3"),
        ("2.x.x", "3.1.3"),
        ("1.2.x", "1.3.3"),
        ("1.2.x || 2.x", "3.1.3"),
        ("1.2.x || 2.x", "1.1.3"),
        ("2.*.*", "1.1.3"),
        ("2.*.*", "3.1.3"),
        ("1.2.*", "1.3.3"),
        ("2", "1.1.2"),
        ("2.3", "2.4.1"),
        ("~0.0.1", "0.1.0-alpha"),
        ("~0.0.1", "0.1.0"),
        ("~2.4", "2.5.0"),
        ("~2.4", "2.3.9"),
        ("~>3.2.1", "3.3.2"),
        ("~>3.2.1", "3.2.0"),
        ("~1", "0.2.3"),
        ("~>1", "2.2.3"),
        ("~1.0", "1.1.0"),
        ("<1", "1.0.0"),
        (">=1.2", "1.1.1"),
        ("~v0.5.4-beta", "0.5.4-alpha"),
        ("=0.7.x", "0.8.2"),
        (">=0.7.x", "0.6.2"),
        ("<0.7.x", "0.7.2"),
        ("<1.2.3", "1.2.3-beta"),
        ("=1.2.3", "1.2.3-beta"),
        (">1.2", "1.2.8"),
        ("^0.0.1", "0.0.2-alpha"),
        ("^0.0.1", "0.0.2"),
        ("^1.2.3", "2.0.0-alpha"),
        ("^1.2.3", "1.2.2"),
        ("^1.2", "1.1.9"),
        ("*", "1.2.3-foo"),
        ("", "1.2.3-foo"),
        ("^1.0.0", "2.0.0-rc1"),
        ("1 - 2", "2.0.0-pre"),
        ("1 - 2", "1.0.0-pre"),
        ("1.0 - 2", "1.0.0-pre"),
        ("1.1.x", "1.0.0-a"),
        ("1.1.x", "1.1.0-a"),
        ("1.1.x", "1.2.0-a"),
        ("1.x", "1.0.0-a"),
        ("1.x", "1.1.0-a"),
        ("1.x", "1.2.0-a"),
        (">=1.0.0 <1.1.0", "1.1.0"),
        (">=1.0.0 <1.1.0", "1.1.0-pre"),
        (">=1.0.0 <1.1.0-pre", "1.1.0-pre"),
        (">=2.3.0 <4.0.0", "4.0.0"),
        (">=3.1.0-beta.1", "3.2.0-alpha"),
        (">*", "1.0.0"),
        ("<x", "0.0.0"),
    ];

    // (range, what it desugars to): the documented expansions.
    private static readonly (string Range, string Normalized)[] Desugared =
    [
        ("^1.2.3", ">=1.2.3 <2.0.0-0"),
        ("^0.2.3", ">=0.2.3 <0.3.0-0"),
        ("^0.0.3", ">=0.0.3 <0.0.4-0"),
        ("^1.2.3-beta.2", ">=1.2.3-beta.2 <2.0.0-0"),
        ("^0.0.3-beta", ">=0.0.3-beta <0.0.4-0"),
        ("^1.2.x", ">=1.2.0 <2.0.0-0"),
        ("^0.0.x", ">=0.0.0 <0.1.0-0"),
        ("^0.0", ">=0.0.0 <0.1.0-0"),
        ("^1.x", ">=1.0.0 <2.0.0-0"),
        ("^0.x", ">=0.0.0 <1.0.0-0"),
        ("~1.2.3", ">=1.2.3 <1.3.0-0"),
        ("~1.2", ">=1.2.0 <1.3.0-0"),
        ("~1", ">=1.0.0 <2.0.0-0"),
        ("~0.2.3", ">=0.2.3 <0.3.0-0"),
        ("~0", ">=0.0.0 <1.0.0-0"),
        ("~1.2.3-beta.2", ">=1.2.3-beta.2 <1.3.0-0"),
        ("1.x", ">=1.0.0 <2.0.0-0"),
        ("1.2.*", ">=1.2.0 <1.3.0-0"),
        ("1", ">=1.0.0 <2.0.0-0"),
        ("1.2", ">=1.2.0 <1.3.0-0"),
        ("*", "*"),
        ("", "*"),
        ("1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4"),
        ("1.2 - 2.3.4", ">=1.2.0 <=2.3.4"),
        ("1.2.3 - 2.3", ">=1.2.3 <2.4.0-0"),
        ("1.2.3 - 2", ">=1.2.3 <3.0.0-0"),
        (">=2.3", ">=2.3.0"),
        (">2.3", ">=2.4.0"),
        (">2", ">=3.0.0"),
        ("<=2.3", "<2.4.0-0"),
        ("<2.3", "<2.3.0-0"),
        (">*", "<0.0.0-0"),
        ("1.2.3", "1.2.3"),
        ("=1.2.3+build", "1.2.3"),
        (">=2.3.0 <4.0.0 || ^5", ">=2.3.0 <4.0.0 || >=5.0.0 <6.0.0-0"),
        ("  >= 2.3.0   <  4.0.0  ", ">=2.3.0 <4.0.0"),
    ];

    public static IEnumerable<TestCaseData> IncludedCases() =>
        Included.Select(c => new TestCaseData(c.Range, c.Version).SetArgDisplayNames($"'{c.Range}' admits {c.Version}"));

    public static IEnumerable<TestCaseData> ExcludedCases() =>
        Excluded.Select(c => new TestCaseData(c.Range, c.Version).SetArgDisplayNames($"'{c.Range}' rejects {c.Version}"));

    public static IEnumerable<TestCaseData> DesugaredCases() =>
        Desugared.Select(c => new TestCaseData(c.Range, c.Normalized).SetArgDisplayNames($"'{c.Range}' is '{c.Normalized}'"));

    public static IEnumerable<TestCaseData> InvalidRanges()
    {
        yield return new TestCaseData("^1.2.q", "expected a number or a wildcard (x, X, *) for the patch version, found 'q'", 5);
        yield return new TestCaseData(">=1.2.3.4", "unexpected '.' in a version", 7);
        yield return new TestCaseData("1.2.3 -", "a hyphen range must be exactly 'LOW - HIGH'", 6);
        yield return new TestCaseData("1.2.3 - 2 - 3", "a hyphen range must be exactly 'LOW - HIGH'", 6);
        yield return new TestCaseData("01.2", "the major version has a leading zero", 0);
        yield return new TestCaseData(">=", "the operator '>=' has no version after it", 0);
        yield return new TestCaseData("1.2-beta", "a pre-release needs a full major.minor.patch version", 3);
        yield return new TestCaseData(">=> 1", "one operator per comparator", 2);
        yield return new TestCaseData("1.x.3", "the patch version cannot be a number after a wildcard", 4);
        yield return new TestCaseData("^1.2.3-beta..1", "a pre-release identifier is empty", 12);
        yield return new TestCaseData("1.2.3 || >=foo", "expected a number or a wildcard (x, X, *) for the major version, found 'f'", 11);
        yield return new TestCaseData("^2147483647", "2147483647 cannot be raised", 0);
    }

    [TestCaseSource(nameof(IncludedCases))]
    public void IsSatisfiedBy_VersionInRange_ReturnsTrue(string range, string version)
    {
        Assert.That(VersionRange.Parse(range).IsSatisfiedBy(SemanticVersion.Parse(version)), Is.True);
    }

    [TestCaseSource(nameof(ExcludedCases))]
    public void IsSatisfiedBy_VersionOutOfRange_ReturnsFalse(string range, string version)
    {
        Assert.That(VersionRange.Parse(range).IsSatisfiedBy(SemanticVersion.Parse(version)), Is.False);
    }

    [TestCaseSource(nameof(DesugaredCases))]
    public void Normalized_Range_ShowsDocumentedComparators(string range, string normalized)
    {
        Assert.That(VersionRange.Parse(range).Normalized, Is.EqualTo(normalized));
    }

    [TestCaseSource(nameof(InvalidRanges))]
    public void TryParse_InvalidRange_ReturnsFalseAndSaysWhatAndWhere(string text, string problem, int index)
    {
        var ok = VersionRange.TryParse(text, out var range, out var error);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.False);
            Assert.That(range, Is.Null);
            Assert.That(error, Does.StartWith($"'{text}' is not a valid version range: "));
            Assert.That(error, Does.Contain(problem));
            Assert.That(error, Does.EndWith($"(at index {index})."));
        });
    }

    [Test]
    public void Parse_InvalidRange_ThrowsFormatException()
    {
        var ex = Assert.Throws<FormatException>(() => VersionRange.Parse("^3.x.1"));
        Assert.That(ex!.Message, Does.Contain("after a wildcard"));
    }

    [Test]
    public void TryParse_Null_ReturnsFalseWithMessage()
    {
        Assert.That(VersionRange.TryParse(null, out _), Is.False);
        Assert.That(VersionRange.TryParse(null, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("null"));
    }

    [Test]
    public void TryParse_TooLong_ReturnsFalse()
    {
        var text = string.Join(" || ", Enumerable.Repeat("1.2.3", 500));

        Assert.That(VersionRange.TryParse(text, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("longer than 2048"));
    }

    [Test]
    public void ToString_ReturnsTrimmedText()
    {
        Assert.That(VersionRange.Parse("  ^3.1 ").ToString(), Is.EqualTo("^3.1"));
    }

    [Test]
    public void Any_AdmitsReleasesButNotPreReleases()
    {
        Assert.That(VersionRange.Any.IsSatisfiedBy(SemanticVersion.Parse("99.0.0")), Is.True);
        Assert.That(VersionRange.Any.IsSatisfiedBy(SemanticVersion.Parse("1.0.0-rc.1")), Is.False);
    }

    [Test]
    public void MaxSatisfying_Candidates_ReturnsHighestInRange()
    {
        var candidates = new[] { "2.5.0", "3.0.0", "3.1.0", "3.2.0-beta.1", "4.0.0" }.Select(SemanticVersion.Parse).ToArray();

        Assert.That(VersionRange.Parse("^3.0").MaxSatisfying(candidates), Is.EqualTo(SemanticVersion.Parse("3.1.0")));
        Assert.That(VersionRange.Parse(">=5").MaxSatisfying(candidates), Is.Null);
    }

    [Test]
    public void IsSatisfiedBy_ComplexRange_DoesNotAllocate()
    {
        var range = VersionRange.Parse(">=1.2.3-beta.1 <2.0.0 || ^3.1 || 4.x");
        var versions = new[] { "1.2.3-beta.2", "1.9.0", "3.5.0", "4.1.0-rc.1", "5.0.0" }.Select(SemanticVersion.Parse).ToArray();
        var hits = 0;
        foreach (var v in versions)
        {
            hits += range.IsSatisfiedBy(v) ? 1 : 0; // warm up (JIT)
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++)
        {
            foreach (var v in versions)
            {
                hits += range.IsSatisfiedBy(v) ? 1 : 0;
            }
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(hits, Is.EqualTo(201 * 3));
    }
}
