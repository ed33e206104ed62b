import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { CurrentPrincipal, type Principal } from '@tokenfence/revocation-guard';
import type { Request } from 'express';
import type { IssuedTokens } from '../keys/token-issuer.js';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard.js';

@Controller('auth')
@UseGuards(RateLimitGuard)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @RateLimit('register')
  register(@Body() body: RegisterDto): Promise<{ id: string }> {
    return this.auth.register(body.username, body.password);
  }

  @Post('login')
  @HttpCode(200)
  @RateLimit('login')
  login(@Body() body: LoginDto, @Req() req: Request): Promise<IssuedTokens> {
    return this.auth.login(body.username, body.password, {
      userAgent: req.headers['user-agent']?.slice(0, 512),
      ip: req.ip,
    });
  }

  @Post('refresh')
  @HttpCode(200)
  @RateLimit('refresh')
  refresh(@Body() body: RefreshDto): Promise<IssuedTokens> {
    return this.auth.refresh(body.refresh_token);
  }

  @Post('password')
  @HttpCode(204)
  @RateLimit('password')
  @UseGuards(BearerAuthGuard)
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    return this.auth.changePassword(principal, body.current_password, body.new_password);
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.auth.logout(principal);
  }

  @Post('logout-all')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  logoutAll(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.auth.logoutAll(principal);
  }
}
