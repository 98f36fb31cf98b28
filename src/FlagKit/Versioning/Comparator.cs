using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace FlagKit.Versioning;

/// <summary>One primitive comparator: an operator and a full version.</summary>
internal readonly record struct Comparator(ComparatorOp Op, SemanticVersion Version)
{
    public bool Test(SemanticVersion candidate)
    {
        var c = candidate.CompareTo(Version);
        return Op switch
        {
            ComparatorOp.Equal => c == 0,
            ComparatorOp.Greater => c > 0,
            ComparatorOp.GreaterOrEqual => c >= 0,
            ComparatorOp.Less => c < 0,
            _ => c <= 0,
        };
    }

    public override string ToString() => Op switch
    {
        ComparatorOp.Equal => "",
        ComparatorOp.Greater => ">",
        ComparatorOp.GreaterOrEqual => ">=",
        ComparatorOp.Less => "<",
        _ => "<=",
    } + Version.ToString();
}
