using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace FlagKit.Compilation;

/// <summary>
/// Where a validation error is in a document, as a JSON path (<c>$.flags[3].rules[0].conditions[1].values</c>),
/// formatted as text only when an error is reported.
/// </summary>
/// <remarks>
/// A value holding its root and up to six steps inline: compiling a valid flag describes a dozen places, allocates
/// nothing for them and formats none. (Formatting each path eagerly was a third of the bytes a 10 000-flag build
/// allocated.) The deepest path the compiler names has five steps; each step is copied with every path made from
/// it, so the inline room is kept to what is used (eight steps measured 10 % slower on the 10 000-flag build).
/// </remarks>
internal readonly struct JsonPath
{
    private const int MaxSteps = 6;

    private readonly string _root;
    private readonly int _rootIndex;
    private readonly Steps _steps;
    private readonly int _count;

    /// <summary>A root: <paramref name="root"/> itself (<c>$</c>), or followed by <c>[index]</c> (<c>$.flags[3]</c>).</summary>
    public JsonPath(string root, int index = -1)
    {
        _root = root;
        _rootIndex = index;
    }

    // The parent's steps and one more, copied once (straight into this value).
    private JsonPath(in JsonPath parent, Step step)
    {
        _root = parent._root;
        _rootIndex = parent._rootIndex;
        _steps = parent._steps;
        _steps[parent._count] = step;
        _count = parent._count + 1;
    }

    /// <summary>The path of a property: <c>parent.name</c>.</summary>
    public JsonPath Property(string name) => With(new Step(name, -1));

    /// <summary>The path of an array item: <c>parent[index]</c>.</summary>
    public JsonPath Item(int index) => With(new Step(null, index));

    /// <summary>The path of an item of an array property: <c>parent.name[index]</c>.</summary>
    public JsonPath Item(string name, int index) => With(new Step(name, index));

    public override string ToString()
    {
        var text = new StringBuilder(_root);
        AppendIndex(text, _rootIndex);
        for (var i = 0; i < _count; i++)
        {
            var step = _steps[i];
            if (step.Name is not null)
            {
                text.Append('.').Append(step.Name);
            }

            AppendIndex(text, step.Index);
        }

        return text.ToString();
    }

    private static void AppendIndex(StringBuilder text, int index)
    {
        if (index >= 0)
        {
            text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
        }
    }

    private JsonPath With(Step step)
    {
        if (_count == MaxSteps)
        {
            // Deeper than any path the compiler names; still correct, just formatted now.
            return new JsonPath(ToString()).With(step);
        }

        return new JsonPath(this, step);
    }

    private readonly record struct Step(string? Name, int Index);

    [InlineArray(MaxSteps)]
    private struct Steps
    {
        private Step _first;
    }
}
