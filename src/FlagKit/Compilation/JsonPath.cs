using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace FlagKit.Compilation;

/// <summary>
/// Where a validation error is in a document, as a JSON path (<c>$.flags[3].rules[0].conditions[1].values</c>),
/// formatted as text only when an error is reported.
/// </summary>
/// <remarks>
/// A value holding its root and up to eight steps inline: compiling a valid flag describes a dozen places, allocates
/// nothing for them and formats none. (Formatting each path eagerly was a third of the bytes a 10 000-flag build
/// allocated.) The deepest path the compiler names has five steps.
/// </remarks>
internal readonly struct JsonPath
{
    private const int MaxSteps = 8;

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

    private JsonPath(string root, int rootIndex, Steps steps, int count)
    {
        _root = root;
        _rootIndex = rootIndex;
        _steps = steps;
        _count = count;
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

        var steps = _steps;
        steps[_count] = step;
        return new JsonPath(_root, _rootIndex, steps, _count + 1);
    }

    private readonly record struct Step(string? Name, int Index);

    [InlineArray(MaxSteps)]
    private struct Steps
    {
        private Step _first;
    }
}
