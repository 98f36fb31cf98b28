using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace FlagKit.Versioning;

/// <summary>The primitive operators a range desugars to.</summary>
internal enum ComparatorOp
{
    Equal,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}
