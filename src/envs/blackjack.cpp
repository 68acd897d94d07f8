// Blackjack-v1: gymnasium/envs/toy_text/blackjack.py (Sutton & Barto 2018, Example 5.1).
//
// Infinite deck (cards drawn with replacement from 1..10 with four 10s). Observation: (player's
// sum with a usable ace counted as 11, dealer's first card, usable ace 0/1) as three int64.
// Actions: 0 stick (the dealer draws to 17 or more, then the hands are compared), 1 hit.
// sab=true follows Sutton & Barto: a natural (ace + 10) wins +1 unless the dealer also has one.
// natural=true (only when sab=false) pays 1.5 for a winning natural.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "bellman/envs/toy_text.h"
#include "envs/toy_text_common.h"

namespace bellman::toy_text {

namespace {

// The deck blackjack.py draws from with np_random.choice(deck).
constexpr int64_t kDeck[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10};
constexpr const char* kSuits[4] = {"C", "D", "H", "S"};
constexpr const char* kFaces[3] = {"J", "Q", "K"};
// Hands reachable in play: the player's sum (aces as 1) is at most 21 before a hit, so at most
// 31 after it; the dealer stands on 17 or more, so the dealer's sum is at most 16 + 10 = 26.
// SetState accepts exactly those sums; a card is worth at least 1, so a hand never holds more
// than 32 cards (31 + one hit) and the dealer's never more than 26 + 16.
constexpr int64_t kMaxPlayerSum = 31;
constexpr int64_t kMaxDealerSum = 26;
constexpr int64_t kCapacity = 48;

struct Hand {
  std::array<int64_t, kCapacity> cards{};
  int64_t n = 0;

  void Add(int64_t card) { cards[n++] = card; }
  int64_t Sum() const {
    int64_t s = 0;
    for (int64_t i = 0; i < n; ++i) s += cards[i];
    return s;
  }
  bool HasAce() const {
    return std::find(cards.begin(), cards.begin() + n, 1) != cards.begin() + n;
  }
  // usable_ace: an ace that can count as 11 without busting.
  bool UsableAce() const { return HasAce() && Sum() + 10 <= 21; }
  int64_t SumHand() const { return UsableAce() ? Sum() + 10 : Sum(); }
  bool IsBust() const { return SumHand() > 21; }
  int64_t Score() const { return IsBust() ? 0 : SumHand(); }
  // sorted(hand) == [1, 10]
  bool IsNatural() const {
    return n == 2 && ((cards[0] == 1 && cards[1] == 10) || (cards[0] == 10 && cards[1] == 1));
  }
};

class BlackjackEnv final : public Env {
 public:
  BlackjackEnv(EnvSpec spec, bool natural, bool sab)
      : Env(std::move(spec)), natural_(natural), sab_(sab) {}

  std::unique_ptr<Env> Clone() const override { return std::make_unique<BlackjackEnv>(*this); }

  // [n_player, player cards..., n_dealer, dealer cards..., suit, face].
  std::vector<double> GetState() const override {
    std::vector<double> state;
    state.push_back(static_cast<double>(player_.n));
    for (int64_t i = 0; i < player_.n; ++i) state.push_back(static_cast<double>(player_.cards[i]));
    state.push_back(static_cast<double>(dealer_.n));
    for (int64_t i = 0; i < dealer_.n; ++i) state.push_back(static_cast<double>(dealer_.cards[i]));
    state.push_back(static_cast<double>(suit_));
    state.push_back(static_cast<double>(face_));
    return state;
  }

  void SetState(std::span<const double> state) override {
    const std::string& id = spec().id;
    const char* layout = "[n_player, player cards..., n_dealer, dealer cards..., suit, face]";
    auto need = [&](size_t size) {
      if (state.size() < size) {
        throw Error(
            fmt::format("{}: SetState expects {}; got only {} values", id, layout, state.size()));
      }
    };
    Hand player, dealer;
    size_t i = 0;
    for (Hand* hand : {&player, &dealer}) {
      const bool is_player = hand == &player;
      const int64_t max_sum = is_player ? kMaxPlayerSum : kMaxDealerSum;
      need(i + 1);
      const int64_t n = StateInt(id, state, i++, 1, max_sum, "number of cards");
      need(i + n);
      for (int64_t k = 0; k < n; ++k) hand->Add(StateInt(id, state, i++, 1, 10, "card"));
      if (hand->Sum() > max_sum) {
        throw Error(
            fmt::format("{}: SetState: the {}'s cards add up to {} (aces as 1); a "
                        "reachable hand adds up to at most {}",
                        id, is_player ? "player" : "dealer", hand->Sum(), max_sum));
      }
    }
    int64_t suit = 0, face = -1;
    if (state.size() != i) {
      if (state.size() != i + 2) {
        throw Error(
            fmt::format("{}: SetState expects {} (suit and face optional); got {} values "
                        "where {} or {} were expected",
                        id, layout, state.size(), i, i + 2));
      }
      suit = StateInt(id, state, i, 0, 3, "suit");
      face = StateInt(id, state, i + 1, -1, 2, "face");
    } else if (dealer.cards[0] == 10) {
      face = 0;
    }
    player_ = player;
    dealer_ = dealer;
    suit_ = suit;
    face_ = face;
    MarkRunning();
  }

  std::string Render() const override {
    std::string dealer_card;
    if (dealer_.n == 0) return "Blackjack: call reset() first\n";
    const int64_t top = dealer_.cards[0];
    if (top == 1) {
      dealer_card = "A";
    } else if (top == 10 && face_ >= 0) {
      dealer_card = kFaces[face_];
    } else {
      dealer_card = std::to_string(top);
    }
    std::string cards;
    for (int64_t i = 0; i < player_.n; ++i) {
      cards += fmt::format("{}{}", i ? " " : "",
                           player_.cards[i] == 1 ? "A" : std::to_string(player_.cards[i]));
    }
    return fmt::format("Dealer: {}{} ({})\nPlayer: {} = {}{}\n", dealer_card, kSuits[suit_], top,
                       cards, player_.SumHand(), player_.UsableAce() ? " (usable ace)" : "");
  }

 protected:
  void DoReset(void* obs) override {
    Rng& rng = np_random();
    // Dealer's two cards, then the player's, then the suit of the dealer's shown card, then
    // (only for a 10) which face card it is: the order of draws in blackjack.py reset().
    dealer_ = Hand();
    player_ = Hand();
    dealer_.Add(DrawCard(rng));
    dealer_.Add(DrawCard(rng));
    player_.Add(DrawCard(rng));
    player_.Add(DrawCard(rng));
    suit_ = rng.Choice(4);
    face_ = dealer_.cards[0] == 10 ? rng.Choice(3) : -1;
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    const int64_t a = *static_cast<const int64_t*>(action);
    Rng& rng = np_random();
    StepResult r;
    if (a) {  // hit
      player_.Add(DrawCard(rng));
      r.terminated = player_.IsBust();
      r.reward = r.terminated ? -1.0 : 0.0;
    } else {  // stick: the dealer plays out the hand
      r.terminated = true;
      while (dealer_.SumHand() < 17) dealer_.Add(DrawCard(rng));
      const int64_t ps = player_.Score(), ds = dealer_.Score();
      r.reward = static_cast<double>(ps > ds) - static_cast<double>(ps < ds);  // cmp()
      if (sab_ && player_.IsNatural() && !dealer_.IsNatural()) {
        r.reward = 1.0;
      } else if (!sab_ && natural_ && player_.IsNatural() && r.reward == 1.0) {
        r.reward = 1.5;
      }
    }
    WriteObs(obs);
    return r;
  }

 private:
  static int64_t DrawCard(Rng& rng) { return kDeck[rng.Choice(13)]; }

  void WriteObs(void* obs) const {
    int64_t* o = static_cast<int64_t*>(obs);
    const bool usable = player_.UsableAce();
    o[0] = usable ? player_.Sum() + 10 : player_.Sum();
    o[1] = dealer_.cards[0];
    o[2] = usable ? 1 : 0;
  }

  bool natural_;
  bool sab_;
  Hand player_, dealer_;
  int64_t suit_ = 0;   // index into kSuits
  int64_t face_ = -1;  // index into kFaces when the dealer shows a 10
};

std::unique_ptr<Env> MakeBlackjack(const std::string& id, const EnvArgs& args) {
  EnvArgReader reader(id, args);
  // Registered kwargs: {"sab": True, "natural": False} (the class defaults sab to False).
  const bool natural = reader.GetBool("natural", false);
  const bool sab = reader.GetBool("sab", true);
  reader.Finish();
  EnvSpec spec{id, Space::Tuple({Space::Discrete(32), Space::Discrete(11), Space::Discrete(2)}),
               Space::Discrete(2), 0, std::nullopt};
  return std::make_unique<BlackjackEnv>(std::move(spec), natural, sab);
}

}  // namespace

void RegisterBlackjack(std::vector<EnvRegistration>& out) {
  out.push_back({"Blackjack-v1",
                 [](const EnvArgs& args) { return MakeBlackjack("Blackjack-v1", args); }, ""});
}

}  // namespace bellman::toy_text
