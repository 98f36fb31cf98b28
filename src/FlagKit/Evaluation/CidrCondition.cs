using System.Text.RegularExpressions;

namespace FlagKit.Evaluation;

/// <summary><c>cidr</c>: the attribute is an IP address in any of the blocks (IPv4 and IPv6).</summary>
internal sealed class CidrCondition : Condition
{
    private readonly CidrBlock[] _blocks;

    public CidrCondition(AttributeRef attribute, bool negate, CidrBlock[] blocks)
        : base(attribute, negate)
    {
        _blocks = blocks;
    }

    protected override bool MatchesValue(AttributeValue value)
    {
        if (!value.TryGetIp(out var ip))
        {
            return false;
        }

        foreach (ref readonly var block in _blocks.AsSpan())
        {
            if (block.Contains(ip))
            {
                return true;
            }
        }

        return false;
    }
}
