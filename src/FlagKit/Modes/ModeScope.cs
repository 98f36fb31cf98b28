using FlagKit.Evaluation;

namespace FlagKit.Modes;

/// <summary>
/// Who a switch or window applies to, compiled: every attribute must hold one of its values (ordinal). No attribute:
/// everyone. Matching allocates nothing.
/// </summary>
internal sealed class ModeScope
{
    private readonly AttributeRef[] _attributes;
    private readonly string[][] _values;

    /// <summary>Creates a scope.</summary>
    /// <param name="attributes">The attributes, in order.</param>
    /// <param name="values">For each attribute, the values it may hold.</param>
    public ModeScope(AttributeRef[] attributes, string[][] values)
    {
        _attributes = attributes;
        _values = values;
    }

    /// <summary>Everyone.</summary>
    public static ModeScope Everyone { get; } = new([], []);

    /// <summary>Whether the scope is everyone.</summary>
    public bool IsEveryone => _attributes.Length == 0;

    /// <summary>Whether <paramref name="context"/> is in the scope (a context without the attribute is not).</summary>
    /// <param name="context">The context; none is only in <see cref="Everyone"/>.</param>
    /// <returns>True when every attribute holds one of its values.</returns>
    public bool Matches(EvaluationContext? context)
    {
        if (_attributes.Length == 0)
        {
            return true;
        }

        if (context is null)
        {
            return false;
        }

        for (var i = 0; i < _attributes.Length; i++)
        {
            var text = context.Get(in _attributes[i])?.Text;
            if (text is null || Array.IndexOf(_values[i], text) < 0)
            {
                return false;
            }
        }

        return true;
    }
}
