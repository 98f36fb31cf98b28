namespace FlagKit.Evaluation;

/// <summary>
/// A set of texts matched by the hash an <see cref="AttributeValue"/> already carries: the values of an <c>in</c>
/// condition, the accounts a segment includes or excludes.
/// </summary>
/// <remarks>
/// <para>
/// A value type kept inside the condition or segment that owns it. Up to four texts (most region lists, most
/// hand-written id lists) sit in its own fields, hashes first, so a lookup reads no other object until a hash
/// matches; larger sets go to a <see cref="TextMap{TValue}"/>. Each object the evaluator does not have to load is a
/// dependent memory read saved, which is what the targeted path is made of.
/// </para>
/// <para>Immutable after construction; any number of threads may read it.</para>
/// </remarks>
internal readonly struct TextSet
{
    private const int InlineCount = 4;

    // One bit per text held inline, at its hash's low 6 bits; all bits for a large set. A text whose bit is clear is
    // not in the set: the usual miss (the player is not in the list) costs one shift and one test, not four compares.
    private readonly ulong _filter;
    private readonly int _hash0;
    private readonly int _hash1;
    private readonly int _hash2;
    private readonly int _hash3;
    private readonly string? _text0;
    private readonly string? _text1;
    private readonly string? _text2;
    private readonly string? _text3;
    private readonly TextMap<bool>? _large;

    public TextSet(IReadOnlyList<string> texts)
    {
        if (texts.Count > InlineCount)
        {
            _large = TextMap<bool>.Set(texts, true);
            Count = _large.Count;
            _filter = ulong.MaxValue;
            return;
        }

        // At most four: dropping repeats by hand, straight into the slots (a set for four texts would cost more than
        // the texts). Empty slots hold no text: a hash that happens to match compares against null, which never
        // equals a text.
        for (var i = 0; i < texts.Count; i++)
        {
            var text = texts[i];
            if (text is null || string.Equals(text, _text0) || string.Equals(text, _text1) || string.Equals(text, _text2))
            {
                continue;
            }

            var hash = TextHash.Of(text);
            _filter |= 1UL << hash;
            switch (Count++)
            {
                case 0: (_text0, _hash0) = (text, hash); break;
                case 1: (_text1, _hash1) = (text, hash); break;
                case 2: (_text2, _hash2) = (text, hash); break;
                default: (_text3, _hash3) = (text, hash); break;
            }
        }
    }

    /// <summary>The number of distinct texts.</summary>
    public int Count { get; }

    /// <summary>Whether <paramref name="text"/>, whose <see cref="TextHash"/> is <paramref name="hash"/>, is in the set.</summary>
    public bool Contains(string text, int hash)
    {
        // The shift count is taken modulo 64: the hash's low 6 bits pick the bit.
        if (((_filter >> hash) & 1) == 0)
        {
            return false;
        }

        if (_large is not null)
        {
            return _large.ContainsKey(text, hash);
        }

        return (hash == _hash0 && string.Equals(_text0, text))
            || (hash == _hash1 && string.Equals(_text1, text))
            || (hash == _hash2 && string.Equals(_text2, text))
            || (hash == _hash3 && string.Equals(_text3, text));
    }

    /// <summary>Whether the value's text is in the set.</summary>
    public bool Contains(AttributeValue value) => Contains(value.Text, value.Hash);
}
