using System.Text;

namespace OrleansSocial.Media;

/// <summary>
/// The BlurHash encoding (https://blurha.sh, Wolt's reference implementation): a picture as a few cosine components —
/// an average colour and <c>x × y − 1</c> quantised AC terms — in base 83, so a client can paint a blurred placeholder
/// before the image arrives. Computed from a small copy of the preview (a few dozen pixels a side is enough).
/// </summary>
public static class Blurhash
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

    /// <summary>
    /// Encodes <paramref name="rgb"/> (<paramref name="width"/> × <paramref name="height"/> pixels, three bytes each, rows
    /// top to bottom) with <paramref name="componentsX"/> × <paramref name="componentsY"/> components (1–9 each).
    /// </summary>
    public static string Encode(ReadOnlySpan<byte> rgb, int width, int height, int componentsX = 4, int componentsY = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (componentsX is < 1 or > 9 || componentsY is < 1 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(componentsX), "Each component count is 1 to 9.");
        }

        if (rgb.Length < width * height * 3)
        {
            throw new ArgumentException("Fewer bytes than width × height × 3.", nameof(rgb));
        }

        // Linear light per channel, once.
        var linear = new float[width * height * 3];
        for (var i = 0; i < linear.Length; i++)
        {
            linear[i] = SrgbToLinear[rgb[i]];
        }

        var factors = new (double R, double G, double B)[componentsX * componentsY];
        var cosX = new double[width];
        var cosY = new double[height];
        for (var j = 0; j < componentsY; j++)
        {
            for (var y = 0; y < height; y++)
            {
                cosY[y] = Math.Cos(Math.PI * j * y / height);
            }

            for (var i = 0; i < componentsX; i++)
            {
                for (var x = 0; x < width; x++)
                {
                    cosX[x] = Math.Cos(Math.PI * i * x / width);
                }

                double r = 0, g = 0, b = 0;
                for (var y = 0; y < height; y++)
                {
                    var row = y * width * 3;
                    for (var x = 0; x < width; x++)
                    {
                        var basis = cosX[x] * cosY[y];
                        var p = row + (x * 3);
                        r += basis * linear[p];
                        g += basis * linear[p + 1];
                        b += basis * linear[p + 2];
                    }
                }

                var scale = (i == 0 && j == 0 ? 1.0 : 2.0) / (width * height);
                factors[(j * componentsX) + i] = (r * scale, g * scale, b * scale);
            }
        }

        var hash = new StringBuilder(4 + (2 * factors.Length));
        AppendBase83(hash, (componentsX - 1) + ((componentsY - 1) * 9), 1);
        double maximum;
        if (factors.Length > 1)
        {
            var actual = 0.0;
            for (var k = 1; k < factors.Length; k++)
            {
                actual = Math.Max(actual, Math.Max(Math.Abs(factors[k].R), Math.Max(Math.Abs(factors[k].G), Math.Abs(factors[k].B))));
            }

            var quantised = (int)Math.Max(0, Math.Min(82, Math.Floor((actual * 166) - 0.5)));
            maximum = (quantised + 1) / 166.0;
            AppendBase83(hash, quantised, 1);
        }
        else
        {
            maximum = 1;
            AppendBase83(hash, 0, 1);
        }

        var dc = factors[0];
        AppendBase83(hash, (LinearToSrgb(dc.R) << 16) + (LinearToSrgb(dc.G) << 8) + LinearToSrgb(dc.B), 4);
        for (var k = 1; k < factors.Length; k++)
        {
            var (r, g, b) = factors[k];
            AppendBase83(hash, (QuantiseAc(r / maximum) * 19 * 19) + (QuantiseAc(g / maximum) * 19) + QuantiseAc(b / maximum), 2);
        }

        return hash.ToString();
    }

    /// <summary>Whether <paramref name="hash"/> is well formed: base 83, and as long as its size flag says.</summary>
    public static bool IsValid(string? hash)
    {
        if (hash is not { Length: >= 6 } || hash.Any(c => !Digits.Contains(c, StringComparison.Ordinal)))
        {
            return false;
        }

        var size = Digits.IndexOf(hash[0], StringComparison.Ordinal);
        return hash.Length == 4 + (2 * ((size % 9) + 1) * ((size / 9) + 1));
    }

    private static int QuantiseAc(double value) => (int)Math.Max(0, Math.Min(18, Math.Floor((SignPow(value, 0.5) * 9) + 9.5)));

    private static double SignPow(double value, double exponent) => Math.CopySign(Math.Pow(Math.Abs(value), exponent), value);

    private static readonly float[] SrgbToLinear = Enumerable.Range(0, 256).Select(v =>
    {
        var c = v / 255.0;
        return (float)(c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4));
    }).ToArray();

    private static int LinearToSrgb(double value)
    {
        var v = Math.Clamp(value, 0, 1);
        return v <= 0.0031308 ? (int)((v * 12.92 * 255) + 0.5) : (int)((((1.055 * Math.Pow(v, 1 / 2.4)) - 0.055) * 255) + 0.5);
    }

    private static void AppendBase83(StringBuilder hash, int value, int length)
    {
        for (var i = 1; i <= length; i++)
        {
            var digit = value / (int)Math.Pow(83, length - i) % 83;
            hash.Append(Digits[digit]);
        }
    }
}
